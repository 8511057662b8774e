// A flag that coroutines of one executor can wait for: set() wakes every waiter, reset() lowers
// it again. Waiters are kept as completion handlers and resumed through post(); unlike a timer
// used as a signal, this takes no lock of the reactor's timer queue on every wait, which shows
// on the hot path of pipelined connections. Use it from one thread (a single-threaded
// io_context or a strand); the event must outlive its waiters.
#pragma once

#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace im2k::net {

class event {
 public:
  explicit event(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  void set() {
    set_ = true;
    auto waiting = std::exchange(waiters_, {});
    for (auto& handler : waiting) {
      boost::asio::post(executor_, std::move(handler));
    }
  }
  void reset() { set_ = false; }
  bool is_set() const { return set_; }

  // Returns once the flag is set (at once if it is).
  boost::asio::awaitable<void> wait() {
    // Named: a lambda inside a co_await expression trips a GCC 12 coroutine bug.
    auto park = [this](boost::asio::any_completion_handler<void()> handler) {
      waiters_.push_back(std::move(handler));
    };
    while (!set_) {
      co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void()>(
          park, boost::asio::use_awaitable);
    }
  }

 private:
  boost::asio::any_io_executor executor_;
  std::vector<boost::asio::any_completion_handler<void()>> waiters_;
  bool set_ = false;
};

}  // namespace im2k::net
