// A minimal HTTP/1.1 server for Prometheus: GET /metrics answers 200 with the registry in the
// text format 0.0.4; anything else 404. One request per connection (Connection: close), the
// request head bounded (431 beyond it), one deadline for the whole connection, and at most a
// few connections at once (more are closed at once). Meant for a loopback address only: it has
// neither TLS nor authentication.
//
//   auto endpoint = metrics::http_endpoint::create(io.get_executor());
//   if (auto ec = endpoint->open(config.metrics_listen)) ...;   // a value, not an exception
//   endpoint->start();
//   ...
//   endpoint->stop();
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include "common/metrics/registry.hpp"

namespace im2k::metrics {

struct http_limits {
  std::size_t max_connections = 4;
  std::size_t max_head = 8 * 1024;  // request line and header fields
  std::chrono::steady_clock::duration deadline = std::chrono::seconds(5);  // per connection
};

class http_endpoint : public std::enable_shared_from_this<http_endpoint> {
 public:
  // Renders `source`, which must outlive the endpoint. Scrapes run on `executor`, so callbacks
  // of the registry run on that event loop.
  static std::shared_ptr<http_endpoint> create(const boost::asio::any_io_executor& executor,
                                               registry& source = global(),
                                               http_limits limits = {});

  // Binds and listens (SO_REUSEADDR). Port 0 picks a free port: see local_endpoint().
  boost::system::error_code open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Runs `refresh` before each scrape renders, on the scrape's strand (values that need an
  // awaited read, such as a spool count, set plain gauges here). Call before start().
  void on_scrape(std::function<boost::asio::awaitable<void>()> refresh);

  void start();
  // Stops accepting; connections in flight end by their deadline.
  void stop();

  http_endpoint(const boost::asio::any_io_executor& executor, registry& source,
                http_limits limits);  // use create()

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor io_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  registry& source_;
  const http_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::function<boost::asio::awaitable<void>()>> refreshers_;
  bool stopping_ = false;  // on strand_
  std::atomic<std::size_t> open_{0};
};

}  // namespace im2k::metrics
