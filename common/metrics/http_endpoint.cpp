#include "common/metrics/http_endpoint.hpp"

#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "common/log/log.hpp"
#include "common/metrics/exposition.hpp"

namespace im2k::metrics {

namespace {

namespace http = boost::beast::http;
using boost::asio::awaitable;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// What is read and dropped after an error response, so that closing with unread input does
// not reset the connection before the client has read the response.
constexpr std::size_t max_discard = 64 * 1024;

http::response<http::string_body> make_response(http::status status, std::string_view type,
                                                std::string body) {
  http::response<http::string_body> response(status, 11);
  response.set(http::field::content_type, type);
  response.set(http::field::connection, "close");
  response.keep_alive(false);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

}  // namespace

std::shared_ptr<http_endpoint> http_endpoint::create(const boost::asio::any_io_executor& executor,
                                                     registry& source, http_limits limits) {
  return std::make_shared<http_endpoint>(executor, source, limits);
}

http_endpoint::http_endpoint(const boost::asio::any_io_executor& executor, registry& source,
                             http_limits limits)
    : io_(executor),
      strand_(boost::asio::make_strand(executor)),
      source_(source),
      limits_(limits),
      acceptor_(strand_) {}

boost::system::error_code http_endpoint::open(const boost::asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

boost::asio::ip::tcp::endpoint http_endpoint::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void http_endpoint::on_scrape(std::function<awaitable<void>()> refresh) {
  refreshers_.push_back(std::move(refresh));
}

void http_endpoint::start() {
  boost::asio::co_spawn(strand_, accept_loop(), boost::asio::detached);
}

void http_endpoint::stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

awaitable<void> http_endpoint::accept_loop() {
  auto self = shared_from_this();
  while (!stopping_) {
    auto [error, socket] =
        co_await acceptor_.async_accept(boost::asio::make_strand(io_), use_tuple);
    if (error == boost::asio::error::operation_aborted || stopping_) {
      co_return;
    }
    if (error) {
      log::warn("metrics.accept_failed").kv("code", error);
      boost::asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (open_.load() >= limits_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++open_;
    auto executor = socket.get_executor();
    boost::asio::co_spawn(executor, serve(std::move(socket)), boost::asio::detached);
  }
}

awaitable<void> http_endpoint::serve(boost::asio::ip::tcp::socket socket) {
  auto self = shared_from_this();
  struct release {
    std::atomic<std::size_t>& open;
    ~release() { --open; }
  } guard{open_};

  boost::beast::tcp_stream stream(std::move(socket));
  stream.expires_after(limits_.deadline);  // one deadline for everything below
  boost::beast::flat_buffer buffer(limits_.max_head + 1);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits_.max_head));
  auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);

  http::response<http::string_body> response;
  if (!read_error) {
    const auto& request = parser.get();
    if (request.method() == http::verb::get && request.target() == "/metrics") {
      for (const auto& refresh : refreshers_) {
        co_await refresh();
      }
      response = make_response(http::status::ok, content_type, render(source_));
    } else {
      response = make_response(http::status::not_found, "text/plain", "not found\n");
    }
  } else if (read_error == http::error::header_limit ||
             read_error == http::error::buffer_overflow) {
    response = make_response(http::status::request_header_fields_too_large, "text/plain",
                             "request head too large\n");
  } else if (read_error == boost::beast::error::timeout ||
             read_error == http::error::end_of_stream || read_error == boost::asio::error::eof ||
             read_error == boost::asio::error::connection_reset) {
    co_return;  // nothing to answer, or nobody to answer
  } else {
    response = make_response(http::status::bad_request, "text/plain", "bad request\n");
  }
  auto [write_error, written] = co_await http::async_write(stream, response, use_tuple);
  if (write_error) {
    co_return;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  // Read until the client closes (bounded by the deadline and max_discard) so that unread input
  // does not turn our close into a reset that may destroy the response in flight.
  std::size_t discarded = 0;
  char sink[4096];
  while (discarded < max_discard) {
    auto [error, n] = co_await stream.async_read_some(boost::asio::buffer(sink), use_tuple);
    if (error) {
      break;
    }
    discarded += n;
  }
  stream.socket().close(ignored);
}

}  // namespace im2k::metrics
