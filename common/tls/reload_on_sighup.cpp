#include "common/tls/reload_on_sighup.hpp"

#include <csignal>

#include "common/log/log.hpp"

namespace im2k::tls {

reload_on_sighup::reload_on_sighup(boost::asio::io_context& io,
                                   std::vector<std::shared_ptr<credentials>> holders,
                                   std::function<void()> after)
    : signals_(io, SIGHUP), holders_(std::move(holders)), after_(std::move(after)) {
  wait();
}

void reload_on_sighup::cancel() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
}

void reload_on_sighup::wait() {
  // After cancel() or destruction the handler still runs, with an error, and must not touch
  // `this`; only a delivered signal does.
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) {
      return;
    }
    log::info("tls.sighup").kv("credential_sets", holders_.size());
    for (const auto& holder : holders_) {
      holder->reload();
    }
    if (after_) {
      after_();
    }
    wait();
  });
}

}  // namespace im2k::tls
