// A client connection to an im2k listener: TCP connect (optionally from a bound source address,
// [T-8]), TLS with SNI and certificate verification of the expected host ([C-10]), hello, then
// requests, pipelined if the caller likes ([R-3]).
//
// The caller resolves the addresses through common/dns (never the system resolver, never an
// address a peer sent, [T-7]). open() tries them in order until a hello succeeds ([L-7]): a
// connection, TLS or temporary hello failure moves on; a permanent hello refusal stops.
//
// Every operation has a deadline. After any failure the connection is unusable (usable() is
// false and every later call fails at once); unanswered requests then count as failed
// (`internal`, temporary, [R-7]). At most one send and one receive may run at a time: one
// coroutine may send while another receives (net::pipeline does so), but two sends or two
// receives must not overlap.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "common/net/body.hpp"
#include "common/net/client_failure.hpp"
#include "common/net/server_settings.hpp"
#include "common/tls/credentials.hpp"
#include "common/tls/stream.hpp"
#include "proto/messages/hello.hpp"
#include "proto/messages/response.hpp"

namespace im2k::net {

struct client_settings {
  std::string peer_host;  // SNI and the name the server certificate must carry
  std::vector<boost::asio::ip::address> addresses;  // tried in order
  std::uint16_t port = 0;
  std::optional<boost::asio::ip::address> bind_address;  // source address ([T-8])
  std::shared_ptr<tls::credentials> credentials;         // client side; its kind is the listener
  duration connect_timeout = std::chrono::seconds(10);
  duration handshake_timeout = std::chrono::seconds(10);
  duration hello_timeout = std::chrono::seconds(10);
  duration response_timeout = std::chrono::seconds(120);  // [T-10]
  duration write_timeout = std::chrono::seconds(30);
  // A body of N octets, either way, gets body_timeout + N / min_body_rate ([T-9], [T-10]).
  duration body_timeout = std::chrono::seconds(30);
  duration shutdown_timeout = std::chrono::seconds(2);
  std::uint64_t min_body_rate = default_min_body_rate;
  // The largest body accepted from the server ([F-6]).
  std::uint64_t max_message_size = default_max_message_size;
  // What to say in hello: `host` on peer listeners, `client` on user listeners.
  std::optional<std::string> hello_host;
  std::optional<std::string> hello_client;
};

class client_connection {
 public:
  // Use the executor of the coroutine that will use the connection (a strand or a
  // single-threaded io_context).
  static boost::asio::awaitable<client_result<std::unique_ptr<client_connection>>> open(
      boost::asio::any_io_executor executor, client_settings settings);

  ~client_connection();
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  // The server's hello response. Its host is informational only ([H-8]).
  const proto::hello_response& server_hello() const { return hello_; }
  // The host the connection was opened to: its certificate names it ([C-10]).
  const std::string& peer_host() const { return settings_.peer_host; }
  boost::asio::ip::tcp::endpoint remote_endpoint() const { return remote_; }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_; }
  bool usable() const { return !broken_; }
  // The executor the connection was opened with: its users must run there.
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }
  // Requests sent whose responses have not been received yet.
  std::size_t outstanding() const { return pending_.size(); }

  // Sends one request, setting its "id" (increasing from 1); returns that id.
  boost::asio::awaitable<client_result<std::uint64_t>> send(nlohmann::json request);
  // The same with `length` body octets from `source` after it (body_len is set here). The
  // length must not exceed server_hello().max_message_size.
  boost::asio::awaitable<client_result<std::uint64_t>> send_with_body(nlohmann::json request,
                                                                      std::uint64_t length,
                                                                      body_source source);
  // The response to the oldest unanswered request (its "re" is checked, [R-7]). An ok
  // response with body_len must have its body read with read_body before the next receive.
  boost::asio::awaitable<client_result<proto::response>> receive();
  // send + receive.
  boost::asio::awaitable<client_result<proto::response>> request(nlohmann::json request);
  // The body announced by the last received response (`length` must be its body_len).
  boost::asio::awaitable<client_result<void>> read_body(std::uint64_t length, body_sink sink);
  // close_notify (bounded) and close. The connection is unusable afterwards. Not while a send or
  // receive runs: use abort() then.
  boost::asio::awaitable<void> close();
  // Closes the socket at once, without close_notify; operations in progress fail.
  void abort();

 private:
  client_connection(tls::tls_stream stream, client_settings settings);

  static boost::asio::awaitable<client_result<std::unique_ptr<client_connection>>> open_one(
      boost::asio::any_io_executor executor, const client_settings& settings,
      const boost::asio::ip::address& address);
  boost::asio::awaitable<client_result<void>> exchange_hello();
  boost::asio::awaitable<client_result<std::uint64_t>> write_request(nlohmann::json request);
  client_failure fail(client_stage stage, boost::system::error_code code, std::string message);
  client_failure fail(client_stage stage, const proto::codec_failure& failure);

  tls::tls_stream stream_;
  client_settings settings_;
  proto::hello_response hello_;
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::ip::tcp::endpoint local_;
  std::uint64_t next_id_ = 1;
  struct sent_request {
    std::uint64_t id;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<sent_request> pending_;
  std::chrono::steady_clock::time_point last_response_at_{};
  std::optional<std::uint64_t> pending_body_;  // body_len of the last response, not yet read
  bool broken_ = false;
};

}  // namespace im2k::net
