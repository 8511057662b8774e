#include "tests/integration/tls/loopback.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/tls/classify.hpp"
#include "common/tls/handshake.hpp"

namespace im2k::tls::testing {

namespace {

using boost::asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
constexpr auto io_limit = std::chrono::seconds(10);

void rethrow(std::exception_ptr e) {
  if (e) {
    std::rethrow_exception(e);
  }
}

// Reads exactly one byte, bounded by io_limit.
awaitable<boost::system::error_code> read_byte(tls_stream& stream, char& byte) {
  boost::asio::steady_timer timer(stream.get_executor(), io_limit);
  auto outcome =
      co_await (boost::asio::async_read(stream, boost::asio::buffer(&byte, 1), use_tuple) ||
                timer.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return boost::asio::error::timed_out;
  }
  co_return std::get<0>(std::get<0>(outcome));
}

awaitable<boost::system::error_code> write_byte(tls_stream& stream, char byte) {
  boost::asio::steady_timer timer(stream.get_executor(), io_limit);
  auto outcome =
      co_await (boost::asio::async_write(stream, boost::asio::buffer(&byte, 1), use_tuple) ||
                timer.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return boost::asio::error::timed_out;
  }
  co_return std::get<0>(std::get<0>(outcome));
}

// Writes a byte and expects it back.
awaitable<boost::system::error_code> round_trip(tls_stream& stream) {
  if (auto ec = co_await write_byte(stream, 'x')) {
    co_return ec;
  }
  char back = 0;
  if (auto ec = co_await read_byte(stream, back)) {
    co_return ec;
  }
  co_return back == 'x' ? boost::system::error_code{} : boost::asio::error::invalid_argument;
}

awaitable<void> serve(boost::asio::ip::tcp::acceptor& acceptor, context_ptr context,
                      listener_kind kind, server_side& out) {
  auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
  if (ec) {
    out.done = true;
    co_return;
  }
  auto stream = std::make_shared<tls_stream>(std::move(socket), *context);
  out.handshake = co_await server_handshake(*stream, kind, io_limit);
  out.done = true;
  if (out.handshake != failure::none) {
    co_return;
  }
  out.stream = stream;
  for (;;) {
    char byte = 0;
    if (co_await read_byte(*stream, byte) || co_await write_byte(*stream, byte)) {
      co_return;
    }
  }
}

awaitable<void> run_client(boost::asio::ip::tcp::endpoint endpoint, context_ptr context,
                           std::string host, listener_kind kind, client_side& out) {
  auto stream = std::make_shared<tls_stream>(co_await boost::asio::this_coro::executor, *context);
  auto [ec] = co_await stream->lowest_layer().async_connect(endpoint, use_tuple);
  if (!ec) {
    out.handshake = co_await client_handshake(*stream, host, kind, io_limit);
    if (out.handshake == failure::none) {
      out.stream = stream;
      // TLS 1.3: a server that refuses our certificate says so only after our handshake.
      if (auto failed = co_await round_trip(*stream)) {
        out.read_failed = true;
        out.read_failure = classify(failed, *stream);
      } else {
        out.exchanged = true;
      }
    }
  }
  out.done = true;
}

}  // namespace

loopback::loopback() : acceptor_(io_) {
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
}

void loopback::serve_one(context_ptr context, listener_kind kind, server_side& out) {
  boost::asio::co_spawn(io_, serve(acceptor_, std::move(context), kind, out), rethrow);
}

void loopback::connect(context_ptr context, std::string host, listener_kind kind,
                       client_side& out) {
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port_);
  boost::asio::co_spawn(io_, run_client(endpoint, std::move(context), std::move(host), kind, out),
                        rethrow);
}

void loopback::exchange(client_side& client, bool& ok, bool& done) {
  auto stream = client.stream;
  if (!stream) {
    ok = false;
    done = true;
    return;
  }
  boost::asio::co_spawn(
      io_,
      [stream, &ok, &done]() -> awaitable<void> {
        const auto ec = co_await round_trip(*stream);
        ok = !ec;
        done = true;
      },
      rethrow);
}

bool loopback::run_until(const std::function<bool()>& finished, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!finished()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    io_.restart();
    io_.run_one_for(std::chrono::milliseconds(100));
  }
  return true;
}

}  // namespace im2k::tls::testing
