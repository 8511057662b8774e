#include "tests/conformance/user_client.hpp"

#include <fstream>

#include <boost/asio/ip/address.hpp>

#include "common/tls/credentials.hpp"

namespace im2k::conform {

namespace asio = boost::asio;

namespace {

user_reply from_result(const net::client_result<proto::response>& r) {
  if (!r)
    return {false, {}, "connection: " + r.error().describe()};
  if (const auto* ok = std::get_if<proto::ok_response>(&*r))
    return {true, ok->object, {}};
  const auto& e = std::get<proto::error_response>(*r);
  return {false, {}, std::string(proto::to_string(e.code))};
}

}  // namespace

asio::awaitable<std::unique_ptr<user_client>> user_client::open(asio::any_io_executor executor,
                                                                const target& t,
                                                                std::string& error) {
  std::ifstream in(t.oms.password_file);
  std::string password;
  if (!std::getline(in, password)) {
    error = "cannot read the password file " + t.oms.password_file.string();
    co_return nullptr;
  }
  tls::tls_settings tls;
  tls.ca_file = t.ca_cert.string();
  tls.crl_files = {t.crl.string()};
  net::client_settings settings;
  settings.peer_host = t.oms.host;
  settings.addresses = {asio::ip::make_address(t.oms.address)};
  settings.port = t.oms.submit_port;
  settings.credentials =
      std::make_shared<tls::credentials>(tls, tls::side::client, tls::listener_kind::submit);
  settings.hello_client = "im2k-conform/1";
  auto opened = co_await net::client_connection::open(executor, settings);
  if (!opened) {
    error = "cannot open the submit listener of " + t.oms.host + ": " + opened.error().describe();
    co_return nullptr;
  }
  auto client = std::make_unique<user_client>(std::move(*opened), t.oms.user);
  nlohmann::json auth_request = {{"op", "auth"}, {"user", t.oms.user}, {"password", password}};
  auto auth = co_await client->call(auth_request);
  if (!auth.ok) {
    error = "auth as " + t.oms.user + " refused: " + auth.code;
    co_return nullptr;
  }
  co_return client;
}

asio::awaitable<user_reply> user_client::call(nlohmann::json request) {
  if (!connection_->usable())
    co_return user_reply{false, {}, "connection: closed"};
  co_return from_result(co_await connection_->request(std::move(request)));
}

asio::awaitable<user_reply> user_client::submit(const std::vector<std::string>& rcpt,
                                                const std::string& message, std::string from) {
  if (!connection_->usable())
    co_return user_reply{false, {}, "connection: closed"};
  auto text = std::make_shared<std::string>(message);
  auto offset = std::make_shared<std::size_t>(0);
  nlohmann::json request = {
      {"op", "submit"}, {"from", from.empty() ? user_ : from}, {"rcpt", rcpt}};
  // Named, not a temporary in the co_await expression: GCC 12 destroys those twice.
  net::body_source source =
      [text,
       offset](std::span<char> buffer) -> asio::awaitable<boost::system::result<std::size_t>> {
    auto n = std::min(buffer.size(), text->size() - *offset);
    std::copy_n(text->data() + *offset, n, buffer.data());
    *offset += n;
    co_return n;
  };
  auto sent = co_await connection_->send_with_body(request, text->size(), std::move(source));
  if (!sent)
    co_return user_reply{false, {}, "connection: " + sent.error().describe()};
  co_return from_result(co_await connection_->receive());
}

}  // namespace im2k::conform
