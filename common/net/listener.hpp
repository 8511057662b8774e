// The accept loop of one listener (notify, pull, submit or mailbox): TLS with the listener's
// current credentials, a session per connection on its own strand, connection limits ([T-11])
// and a bounded graceful drain.
//
//   auto l = net::listener::create(io.get_executor(), settings, credentials, handler);
//   if (auto ec = l->open(endpoint)) ...;   // bind + listen; a value, not an exception
//   l->start();
//   ...
//   co_await l->stop(std::chrono::seconds(10));
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include "common/metrics/registry.hpp"
#include "common/net/connection_gate.hpp"
#include "common/net/server_settings.hpp"
#include "common/net/session.hpp"
#include "common/tls/credentials.hpp"

namespace im2k::net {

class listener : public std::enable_shared_from_this<listener> {
 public:
  // `credentials` must be a server side set; its kind is the listener's kind. `check` may be
  // empty.
  static std::shared_ptr<listener> create(const boost::asio::any_io_executor& executor,
                                          server_settings settings,
                                          std::shared_ptr<tls::credentials> credentials,
                                          request_handler handler, hello_check check = {});

  // Binds and listens (SO_REUSEADDR). Port 0 picks a free port: see local_endpoint().
  boost::system::error_code open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts accepting (after a successful open).
  void start();

  // Graceful drain: stops accepting, lets every session finish the request it is in, closes
  // idle ones, and completes when all are gone; sessions still open after `bound` are closed
  // at once. Completes on the listener's strand.
  boost::asio::awaitable<void> stop(duration bound = std::chrono::seconds(10));

  // The open-connection gauge (from any thread).
  std::size_t open_connections() const { return gate_.open(); }
  tls::listener_kind kind() const { return credentials_->kind(); }

  listener(const boost::asio::any_io_executor& executor, server_settings settings,
           std::shared_ptr<tls::credentials> credentials, request_handler handler,
           hello_check check);  // use create()

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> drain(duration bound);
  void admit(boost::asio::ip::tcp::socket socket);
  void ended(session* s, const boost::asio::ip::address& remote);

  boost::asio::any_io_executor io_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const server_settings settings_;
  std::shared_ptr<tls::credentials> credentials_;
  request_handler handler_;
  hello_check check_;
  connection_gate gate_;  // on strand_, but open() from any thread
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer drained_;  // cancelled when the last session of a drain ends
  bool stopping_ = false;
  // On strand_ only.
  std::unordered_map<session*, std::shared_ptr<session>> sessions_;
  // im2k_open_connections{listener=...} while started; declared last: it reads gate_.
  metrics::callback_handle open_gauge_;
};

}  // namespace im2k::net
