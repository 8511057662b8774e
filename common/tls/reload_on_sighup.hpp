// Reloads a set of credentials whenever the process receives SIGHUP.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "common/tls/credentials.hpp"

namespace im2k::tls {

class reload_on_sighup {
 public:
  // Starts waiting for SIGHUP on `io`; each signal reloads every holder in turn (a failed
  // reload is logged and keeps that holder's previous context), then calls `after` if set.
  reload_on_sighup(boost::asio::io_context& io, std::vector<std::shared_ptr<credentials>> holders,
                   std::function<void()> after = {});

  // Stops waiting (also done by the destructor).
  void cancel();

 private:
  void wait();

  boost::asio::signal_set signals_;
  std::vector<std::shared_ptr<credentials>> holders_;
  std::function<void()> after_;
};

}  // namespace im2k::tls
