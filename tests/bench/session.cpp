#include "tests/bench/session.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>
#include <variant>

#include <boost/asio/this_coro.hpp>

#include "common/version.hpp"
#include "proto/error.hpp"
#include "proto/messages/auth.hpp"

namespace im2k::bench {

namespace {

using boost::asio::awaitable;

mc::failure refusal(const proto::error_response& e) {
  return mc::failure{std::string(proto::to_string(e.code)), e.temporary, e.message, true};
}

}  // namespace

mc::failure failure_of(const net::client_failure& f) {
  if (f.refusal) {
    return refusal(*f.refusal);
  }
  return mc::failure{mc::code_connection, true, f.describe()};
}

mc::outcome<nlohmann::json> ok_object(const net::client_result<proto::response>& response) {
  if (!response) {
    return failure_of(response.error());
  }
  if (const auto* e = std::get_if<proto::error_response>(&*response)) {
    return refusal(*e);
  }
  return std::get<proto::ok_response>(*response).object;
}

mc::outcome<user_endpoint> load_endpoint(const std::string& client_config) {
  mc::connection_options options;
  options.config = client_config;
  auto s = mc::load_settings(options, mc::service::submit);
  if (!s) {
    return s.error();
  }
  if (!s->address) {
    return mc::failure{
        mc::code_config, false,
        client_config + ": the bench needs [submit] address (testbed configs have it)"};
  }
  user_endpoint e;
  try {
    e.credentials =
        std::make_shared<tls::credentials>(s->tls, tls::side::client, tls::listener_kind::submit);
  } catch (const std::runtime_error& ex) {
    return mc::failure{mc::code_config, false, client_config + ": tls: " + ex.what()};
  }
  e.settings = std::move(*s);
  return e;
}

awaitable<mc::outcome<std::unique_ptr<net::client_connection>>> open_session(
    const user_endpoint& endpoint, std::optional<boost::asio::ip::address> source) {
  const auto& s = endpoint.settings;
  net::client_settings c;
  c.peer_host = s.server;
  c.addresses = {s.address->address()};
  c.port = s.address->port();
  c.bind_address = source;
  c.credentials = endpoint.credentials;
  c.hello_client = "im2k-bench/" + std::string(im2k::version);
  c.response_timeout = std::chrono::seconds(60);
  auto connection = co_await net::client_connection::open(co_await boost::asio::this_coro::executor,
                                                          std::move(c));
  if (!connection) {
    mc::failure f = failure_of(connection.error());
    f.message =
        "cannot reach " + s.server + " at " + s.address->address().to_string() + ": " + f.message;
    co_return f;
  }
  proto::auth_request auth;
  auth.user = s.user;
  auth.password = s.password;
  nlohmann::json request = proto::to_json(auth);
  auto response = co_await (*connection)->request(std::move(request));
  auto authed = ok_object(response);
  if (!authed) {
    mc::failure f = authed.error();
    f.message = s.user.to_string() + " cannot authenticate at " + s.server + ": " + f.code + ": " +
                f.message;
    co_return f;
  }
  co_return std::move(*connection);
}

}  // namespace im2k::bench
