// A user's connection to their OMS (submit listener) or IMS (mailbox listener): resolve the
// server's name (or use the configured address), TLS 1.3 with the listener's ALPN, SNI and
// verification of the server's name ([C-10]), hello with `client = "im2k/<version>"`, then
// `auth` ([U-*]). Every step has the deadlines of common/net ([T-10]).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/net/client_connection.hpp"
#include "mc/failure.hpp"
#include "mc/settings.hpp"

namespace im2k::mc {

class user_client {
 public:
  // Connects and authenticates; a refused auth is the server's failure (not-authenticated).
  static boost::asio::awaitable<outcome<std::unique_ptr<user_client>>> open(const settings& s,
                                                                            service which);
  // The same, with the settings loaded from the command line and the settings file first.
  static boost::asio::awaitable<outcome<std::unique_ptr<user_client>>> connect(
      const connection_options& options, service which);

  // The largest body the server accepts ([H-9]).
  std::uint64_t max_message_size() const { return connection_->server_hello().max_message_size; }

  // One request: the ok response's object, or the server's refusal, or the connection failure.
  boost::asio::awaitable<outcome<nlohmann::json>> call(nlohmann::json request);
  // The same with `body` after the request. A connection lost once the body went out is
  // reported as `uncertain`: the server may have acted on it ([S-11]); it is never resent.
  boost::asio::awaitable<outcome<nlohmann::json>> call_with_body(nlohmann::json request,
                                                                 std::string_view body);
  // The body announced by the last ok response (`length` is its body_len).
  boost::asio::awaitable<outcome<void>> read_body(std::uint64_t length, net::body_sink sink);

  boost::asio::awaitable<void> close();

  explicit user_client(std::unique_ptr<net::client_connection> connection, std::string server)
      : connection_(std::move(connection)), server_(std::move(server)) {}

 private:
  failure lost(const net::client_failure& f) const;

  std::unique_ptr<net::client_connection> connection_;
  std::string server_;
};

}  // namespace im2k::mc
