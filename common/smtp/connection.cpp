#include "common/smtp/connection.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/smtp/data_reader.hpp"

namespace im2k::smtp {

namespace {

using boost::asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

using io_outcome = std::optional<std::tuple<boost::system::error_code, std::size_t>>;

// One read or write raced against the timer; nullopt when the timer won. One `||` per
// coroutine: GCC 12 miscompiles a coroutine that has two of them in branches of an `if`.
template <class Stream>
awaitable<io_outcome> read_racing(Stream& stream, boost::asio::mutable_buffer buffer,
                                  boost::asio::steady_timer& timer) {
  auto outcome =
      co_await (stream.async_read_some(buffer, use_tuple) || timer.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return std::nullopt;
  }
  co_return std::get<0>(outcome);
}

template <class Stream>
awaitable<io_outcome> write_racing(Stream& stream, boost::asio::const_buffer buffer,
                                   boost::asio::steady_timer& timer) {
  auto outcome =
      co_await (boost::asio::async_write(stream, buffer, use_tuple) || timer.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return std::nullopt;
  }
  co_return std::get<0>(outcome);
}

}  // namespace

connection::connection(tls::tls_stream stream, bool secure, std::size_t max_line)
    : stream_(std::move(stream)), secure_(secure), in_(max_line), timer_(stream_.get_executor()) {}

awaitable<boost::system::result<std::size_t>> connection::read_some(std::span<char> into,
                                                                    clock::time_point deadline) {
  if (broken_) {
    co_return boost::system::error_code(boost::asio::error::not_connected);
  }
  if (interrupted_) {
    co_return boost::system::error_code(boost::asio::error::operation_aborted);
  }
  if (clock::now() >= deadline) {
    co_return boost::system::error_code(boost::asio::error::timed_out);
  }
  timer_.expires_at(deadline);
  auto buffer = boost::asio::buffer(into.data(), into.size());
  io_outcome outcome;
  if (secure_) {
    outcome = co_await read_racing(stream_, buffer, timer_);
  } else {
    outcome = co_await read_racing(stream_.next_layer(), buffer, timer_);
  }
  if (!outcome) {
    co_return boost::system::error_code(interrupted_ ? boost::asio::error::operation_aborted
                                                     : boost::asio::error::timed_out);
  }
  auto [error, n] = *outcome;
  if (error || n == 0) {
    if (error != boost::asio::error::eof) {
      broken_ = true;
    }
    co_return error ? error : boost::system::error_code(boost::asio::error::eof);
  }
  co_return n;
}

awaitable<boost::system::error_code> connection::fill(clock::time_point deadline) {
  auto space = in_.prepare();
  auto n = co_await read_some(space, deadline);
  in_.commit(n ? *n : 0);
  co_return n ? boost::system::error_code() : n.error();
}

awaitable<boost::system::result<line_result>> connection::read_line(clock::time_point deadline) {
  while (true) {
    line_result line = in_.next();
    if (line.what != line_result::kind::need_more) {
      co_return line;
    }
    if (auto error = co_await fill(deadline)) {
      co_return error;
    }
  }
}

awaitable<boost::system::error_code> connection::write(std::string text,
                                                       clock::time_point deadline) {
  if (broken_) {
    co_return boost::asio::error::not_connected;
  }
  timer_.expires_at(deadline);
  auto buffer = boost::asio::buffer(text);
  io_outcome outcome;
  if (secure_) {
    outcome = co_await write_racing(stream_, buffer, timer_);
  } else {
    outcome = co_await write_racing(stream_.next_layer(), buffer, timer_);
  }
  if (!outcome) {
    broken_ = true;  // part of the text may be out: the stream is unusable
    co_return boost::asio::error::timed_out;
  }
  auto [error, n] = *outcome;
  (void)n;
  if (error) {
    broken_ = true;
  }
  co_return error;
}

awaitable<boost::system::result<data_result>> connection::read_data(net::body_sink sink,
                                                                    std::uint64_t limit,
                                                                    clock::duration per_read,
                                                                    clock::time_point deadline) {
  data_reader reader;
  data_result result;
  std::string out;
  while (true) {
    if (in_.pending().empty()) {
      const auto read_deadline = std::min(clock::now() + per_read, deadline);
      if (auto error = co_await fill(read_deadline)) {
        co_return error;
      }
    }
    out.clear();
    const auto step = reader.feed(in_.pending(), out);
    in_.consume(step.consumed);
    result.size += out.size();
    if (result.size > limit) {
      result.too_large = true;
    } else if (!out.empty() && !result.sink_error) {
      // Named, not a temporary inside co_await (GCC 12).
      const std::span<const char> chunk(out.data(), out.size());
      result.sink_error = co_await sink(chunk);
    }
    if (step.done) {
      co_return result;
    }
  }
}

awaitable<boost::system::error_code> connection::start_tls(
    boost::asio::ssl::stream_base::handshake_type type, clock::duration timeout) {
  in_.clear();
  timer_.expires_after(timeout);
  auto outcome =
      co_await (stream_.async_handshake(type, use_tuple) || timer_.async_wait(use_tuple));
  if (outcome.index() == 1) {
    broken_ = true;
    co_return boost::asio::error::timed_out;
  }
  auto [error] = std::get<0>(outcome);
  if (error) {
    broken_ = true;
    co_return error;
  }
  secure_ = true;
  co_return boost::system::error_code();
}

void connection::interrupt() {
  interrupted_ = true;
  timer_.cancel();
}

awaitable<void> connection::close(clock::duration timeout) {
  if (secure_ && !broken_) {
    timer_.expires_after(timeout);
    co_await (stream_.async_shutdown(use_tuple) || timer_.async_wait(use_tuple));
  }
  abort();
}

void connection::abort() {
  broken_ = true;
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

}  // namespace im2k::smtp
