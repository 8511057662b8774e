// Bounds one codec operation in time: with_deadline(read_frame(s, limits), 30s) completes with
// the operation's own result, or, when the time is up first, cancels the operation and yields
// boost::asio::error::timed_out. The cancelled operation is finished before this returns, so the
// stream is idle again (but after a timeout mid-frame the connection must be closed).
#pragma once

#include <chrono>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proto/codec_error.hpp"

namespace im2k::proto {

template <class T>
boost::asio::awaitable<result<T>> with_deadline(boost::asio::awaitable<result<T>> operation,
                                                std::chrono::steady_clock::duration timeout) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(timeout);
  auto outcome = co_await (std::move(operation) ||
                           timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
  if (outcome.index() == 0)
    co_return std::move(std::get<0>(outcome));
  co_return codec_failure(boost::asio::error::timed_out, {}, "deadline");
}

}  // namespace im2k::proto
