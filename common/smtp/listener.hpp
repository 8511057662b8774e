// The accept loop of one SMTP listener (the OMS's submission ports; later the IMS's port 25):
// a server_session per connection on its own strand, with a handler of its own, connection
// limits ([T-11]) and a bounded graceful drain, as net::listener does for im2k listeners.
//
//   auto l = smtp::listener::create(executor, "submission", options, limits, credentials,
//                                   [&] { return std::make_unique<my_handler>(...); });
//   if (auto ec = l->open(endpoint)) ...;
//   l->start();  ...  co_await l->stop(std::chrono::seconds(10));
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/metrics/registry.hpp"
#include "common/net/connection_gate.hpp"
#include "common/smtp/server_session.hpp"
#include "common/tls/credentials.hpp"

namespace im2k::smtp {

struct connection_limits {
  std::size_t max_connections = 1024;
  std::size_t max_per_address = 16;
};

using handler_factory = std::function<std::unique_ptr<server_handler>()>;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // `name` labels logs and metrics ("submission", "submissions"). `credentials` is a server
  // side set for listener_kind::submission.
  static std::shared_ptr<listener> create(const boost::asio::any_io_executor& executor,
                                          std::string name, server_options options,
                                          connection_limits limits,
                                          std::shared_ptr<tls::credentials> credentials,
                                          handler_factory factory);

  boost::system::error_code open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting, lets sessions finish the command they are in (idle ones get 421 at once),
  // and completes when all are gone; those still open after `bound` are closed.
  boost::asio::awaitable<void> stop(std::chrono::steady_clock::duration bound);

  listener(const boost::asio::any_io_executor& executor, std::string name, server_options options,
           connection_limits limits, std::shared_ptr<tls::credentials> credentials,
           handler_factory factory);  // use create()

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> drain(std::chrono::steady_clock::duration bound);
  boost::asio::awaitable<void> serve(std::shared_ptr<server_session> session,
                                     std::shared_ptr<server_handler> handler,
                                     boost::asio::ip::address source);
  void admit(boost::asio::ip::tcp::socket socket);
  void ended(server_session* s, const boost::asio::ip::address& source);

  boost::asio::any_io_executor io_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const std::string name_;
  const server_options options_;
  const connection_limits limits_;
  std::shared_ptr<tls::credentials> credentials_;
  handler_factory factory_;
  net::connection_gate gate_;  // on strand_, but open() from any thread
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer drained_;
  bool stopping_ = false;
  // On strand_ only.
  std::unordered_map<server_session*, std::shared_ptr<server_session>> sessions_;
  metrics::callback_handle open_gauge_;  // last: it reads gate_
};

}  // namespace im2k::smtp
