#include "oms/retention.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"

namespace im2k::oms {

retention::retention(boost::asio::any_io_executor executor, spool& spool,
                     std::chrono::seconds grace, std::chrono::seconds period)
    : executor_(executor), spool_(spool), grace_(grace), period_(period), timer_(executor) {}

void retention::start() {
  boost::asio::co_spawn(executor_, loop(), boost::asio::detached);
}

void retention::stop() {
  stopping_ = true;
  timer_.cancel();
}

boost::asio::awaitable<std::size_t> retention::run_once(unix_time now) {
  if (auto expired = co_await spool_.expire(now); !expired) {
    log::error("retention.failed").kv("code", expired.error());
  } else if (*expired > 0) {
    log::info("spool.expired").kv("recipients", *expired);
  }
  auto removed = co_await spool_.purge(now - grace_.count());
  if (!removed) {
    log::error("retention.failed").kv("code", removed.error());
    co_return 0;
  }
  for (const auto& msg : *removed) {
    log::info("spool.removed").kv("msg", msg);
  }
  co_return removed->size();
}

boost::asio::awaitable<void> retention::loop() {
  while (!stopping_) {
    co_await run_once(unix_now());
    timer_.expires_after(period_);
    co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

}  // namespace im2k::oms
