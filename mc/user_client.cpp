#include "mc/user_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <variant>

#include <boost/asio/this_coro.hpp>

#include "common/dns/cares_resolver.hpp"
#include "common/dns/mx.hpp"
#include "common/tls/credentials.hpp"
#include "common/version.hpp"
#include "proto/error.hpp"
#include "proto/messages/auth.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

// Bodies from the server (fetch) go to a file or a pipe, never into memory whole ([F-11]).
constexpr std::uint64_t max_fetch_size = std::uint64_t{1} << 30;

failure refusal(const proto::error_response& e) {
  return failure{std::string(proto::to_string(e.code)), e.temporary, e.message, true};
}

// The server's addresses: the configured one, or the A/AAAA records of its name.
awaitable<outcome<std::vector<boost::asio::ip::address>>> addresses_of(const settings& s) {
  if (s.address) {
    co_return std::vector<boost::asio::ip::address>{s.address->address()};
  }
  dns::resolver_options options;
  options.servers = s.dns_servers;
  std::optional<dns::cares_resolver> resolver;
  try {
    resolver.emplace(co_await boost::asio::this_coro::executor, options);
  } catch (const std::runtime_error& e) {
    co_return failure{code_config, false, std::string("dns: ") + e.what()};
  }
  auto found = co_await dns::host_addresses(*resolver, s.server);
  if (found.ok()) {
    co_return found.records;
  }
  if (found.does_not_exist()) {
    co_return failure{code_dns, false, s.server + " has no address in DNS (" + found.detail + ")"};
  }
  co_return failure{code_dns, true, "cannot resolve " + s.server + ": " + found.detail};
}

}  // namespace

awaitable<outcome<std::unique_ptr<user_client>>> user_client::connect(
    const connection_options& options, service which) {
  auto s = load_settings(options, which);
  if (!s) {
    co_return s.error();
  }
  auto client = co_await open(*s, which);
  co_return client;
}

awaitable<outcome<std::unique_ptr<user_client>>> user_client::open(const settings& s,
                                                                   service which) {
  auto addresses = co_await addresses_of(s);
  if (!addresses) {
    co_return addresses.error();
  }
  net::client_settings c;
  c.peer_host = s.server;
  c.addresses = std::move(*addresses);
  c.port = s.address ? s.address->port() : s.port;
  c.hello_client = "im2k/" + std::string(im2k::version);
  c.max_message_size = max_fetch_size;
  if (s.timeout_seconds > 0) {
    const auto t = std::chrono::seconds(s.timeout_seconds);
    c.connect_timeout = c.handshake_timeout = c.hello_timeout = c.response_timeout = t;
    c.write_timeout = c.body_timeout = t;
  }
  const auto kind =
      which == service::submit ? tls::listener_kind::submit : tls::listener_kind::mailbox;
  try {
    c.credentials = std::make_shared<tls::credentials>(s.tls, tls::side::client, kind);
  } catch (const std::runtime_error& e) {
    co_return failure{code_config, false, std::string("tls: ") + e.what()};
  }
  const std::string where = s.server + " (port " + std::to_string(c.port) + ")";
  auto connection = co_await net::client_connection::open(co_await boost::asio::this_coro::executor,
                                                          std::move(c));
  if (!connection) {
    const auto& f = connection.error();
    if (f.refusal) {
      co_return refusal(*f.refusal);
    }
    co_return failure{code_connection, true, "cannot reach " + where + ": " + f.describe()};
  }
  auto client = std::make_unique<user_client>(std::move(*connection), s.server);

  proto::auth_request auth;
  auth.user = s.user;
  auth.password = s.password;
  auto authed = co_await client->call(proto::to_json(auth));
  if (!authed) {
    co_return authed.error();
  }
  co_return client;
}

failure user_client::lost(const net::client_failure& f) const {
  if (f.refusal) {
    return refusal(*f.refusal);
  }
  return failure{code_connection, true, "connection to " + server_ + " failed: " + f.describe()};
}

awaitable<outcome<nlohmann::json>> user_client::call(nlohmann::json request) {
  auto response = co_await connection_->request(std::move(request));
  if (!response) {
    co_return lost(response.error());
  }
  if (auto* e = std::get_if<proto::error_response>(&*response)) {
    co_return refusal(*e);
  }
  co_return std::get<proto::ok_response>(*response).object;
}

awaitable<outcome<nlohmann::json>> user_client::call_with_body(nlohmann::json request,
                                                               std::string_view body) {
  auto offset = std::make_shared<std::size_t>(0);
  net::body_source source =
      [body, offset](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    const std::size_t n = std::min(buffer.size(), body.size() - *offset);
    std::memcpy(buffer.data(), body.data() + *offset, n);
    *offset += n;
    co_return n;
  };
  auto sent = co_await connection_->send_with_body(std::move(request), body.size(), source);
  if (!sent) {
    // The server may have read all of it before the connection failed.
    failure f = lost(sent.error());
    if (*offset == body.size() && !f.from_server) {
      f.code = code_uncertain;
      f.message =
          "the connection failed after the message was sent: it may or may not have "
          "been accepted (" +
          f.message + "); not resent";
    }
    co_return f;
  }
  auto response = co_await connection_->receive();
  if (!response) {
    failure f = lost(response.error());
    if (!f.from_server) {
      f.code = code_uncertain;
      f.message = "no answer after the message was sent: it may or may not have been accepted (" +
                  f.message + "); not resent";
    }
    co_return f;
  }
  if (auto* e = std::get_if<proto::error_response>(&*response)) {
    co_return refusal(*e);
  }
  co_return std::get<proto::ok_response>(*response).object;
}

awaitable<outcome<void>> user_client::read_body(std::uint64_t length, net::body_sink sink) {
  auto read = co_await connection_->read_body(length, std::move(sink));
  if (!read) {
    co_return lost(read.error());
  }
  co_return outcome<void>();
}

awaitable<void> user_client::close() {
  co_await connection_->close();
}

}  // namespace im2k::mc
