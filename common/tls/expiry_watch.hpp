// Watches the certificates a daemon relies on: at start, every `interval` (hourly) and on
// demand (SIGHUP), logs a warning for its own certificate or a trust anchor that expires within
// the configured window (tls.expiry_warning) and an error for one that has expired, and exports
// im2k_tls_certificate_expiry_seconds per certificate. When the nextUpdate of a loaded CRL
// passes, the credentials are reloaded, so that a CRL replaced on disk is picked up without a
// signal; connections already established keep their context.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/metrics/registry.hpp"
#include "common/tls/credentials.hpp"

namespace im2k::tls {

class expiry_watch {
 public:
  static constexpr std::chrono::seconds default_interval{3600};

  // Checks once now, then every `interval` and when a CRL's nextUpdate passes.
  expiry_watch(boost::asio::io_context& io, std::vector<std::shared_ptr<credentials>> holders,
               std::chrono::seconds interval = default_interval);
  ~expiry_watch();

  expiry_watch(const expiry_watch&) = delete;
  expiry_watch& operator=(const expiry_watch&) = delete;

  // To be called after the credentials were (re)loaded (start, SIGHUP): notes the nextUpdate of
  // the CRLs now in force, logs, re-registers the metric series and sets the timer.
  void check();
  void cancel();

 private:
  void on_timer();
  void check_certificates();
  void reload_stale_crls(std::int64_t now);
  void arm();

  boost::asio::steady_timer timer_;
  std::vector<std::shared_ptr<credentials>> holders_;
  std::chrono::seconds interval_;
  std::vector<metrics::callback_handle> series_;
  // Per holder: the nextUpdate a reload was already made for (not repeated every wake-up).
  std::map<const credentials*, std::int64_t> reloaded_for_;
  // Per holder: the earliest nextUpdate of the CRLs it loaded last.
  std::map<const credentials*, std::optional<std::int64_t>> loaded_next_update_;
};

}  // namespace im2k::tls
