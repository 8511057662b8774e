// A flag that coroutines of one executor can wait for: set() wakes every waiter, reset() lowers
// it again. Built on a steady_timer that never expires by itself (cancel is the signal), so it
// needs no lock: use it from one thread (a single-threaded io_context or a strand).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace im2k::net {

class event {
 public:
  explicit event(boost::asio::any_io_executor executor) : timer_(std::move(executor)) {}

  void set() {
    set_ = true;
    timer_.cancel();
  }
  void reset() { set_ = false; }
  bool is_set() const { return set_; }

  // Returns once the flag is set (at once if it is).
  boost::asio::awaitable<void> wait() {
    while (!set_) {
      timer_.expires_at(boost::asio::steady_timer::time_point::max());
      co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
};

}  // namespace im2k::net
