// Retention: recipients still waiting when their message's `expires` passes become expired
// ([L-9]; the notifier also does this on each round), and a message whose recipients are all
// final leaves the spool, record and body, once `grace` has passed since its last change.
#pragma once

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "oms/spool.hpp"

namespace im2k::oms {

class retention {
 public:
  retention(boost::asio::any_io_executor executor, spool& spool, std::chrono::seconds grace,
            std::chrono::seconds period = std::chrono::seconds(60));

  void start();
  void stop();
  // One pass: expire, then purge. Returns the number of messages removed.
  boost::asio::awaitable<std::size_t> run_once(unix_time now);

 private:
  boost::asio::awaitable<void> loop();

  boost::asio::any_io_executor executor_;
  spool& spool_;
  const std::chrono::seconds grace_;
  const std::chrono::seconds period_;
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
};

}  // namespace im2k::oms
