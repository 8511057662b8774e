#include "common/tls/expiry_watch.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <string>
#include <utility>

#include "common/log/log.hpp"
#include "common/tls/expiry.hpp"

namespace im2k::tls {

namespace {

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string utc(std::int64_t when) {
  const std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

expiry_watch::expiry_watch(boost::asio::io_context& io,
                           std::vector<std::shared_ptr<credentials>> holders,
                           std::chrono::seconds interval)
    : timer_(io), holders_(std::move(holders)), interval_(interval) {
  check();
}

expiry_watch::~expiry_watch() {
  cancel();
}

void expiry_watch::cancel() {
  timer_.cancel();
}

void expiry_watch::check() {
  // Called after the credentials were (re)loaded: the CRLs in the files are the ones in force.
  for (const auto& holder : holders_) {
    if (holder->settings().crl == crl_mode::require) {
      loaded_next_update_[holder.get()] = earliest_next_update(holder->settings().crl_files);
    }
  }
  check_certificates();
  // A reload may have brought a CRL with a nearer nextUpdate: wait for that one.
  arm();
}

void expiry_watch::on_timer() {
  reload_stale_crls(now_seconds());
  check_certificates();
  arm();
}

void expiry_watch::check_certificates() {
  const std::int64_t now = now_seconds();
  series_.clear();
  std::set<std::pair<std::string, std::string>> seen;  // role, fingerprint
  for (const auto& holder : holders_) {
    const auto window = holder->settings().expiry_warning.count();
    for (auto& cert : read_expiries(holder->settings())) {
      if (!seen.emplace(cert.role, cert.fingerprint).second) {
        continue;
      }
      const std::int64_t left = cert.not_after - now;
      if (left <= 0) {
        log::error("tls.certificate_expired")
            .kv("certificate", cert.role)
            .kv("subject", cert.subject)
            .kv("fingerprint", cert.fingerprint)
            .kv("not_after", utc(cert.not_after));
      } else if (left <= window) {
        log::warn("tls.certificate_expiring")
            .kv("certificate", cert.role)
            .kv("subject", cert.subject)
            .kv("fingerprint", cert.fingerprint)
            .kv("not_after", utc(cert.not_after))
            .kv("seconds_left", left);
      }
      const std::int64_t not_after = cert.not_after;
      series_.push_back(metrics::global().callback_gauge(
          "im2k_tls_certificate_expiry_seconds",
          "Seconds until a certificate the daemon relies on expires (negative: expired).",
          {{"certificate", cert.role},
           {"subject", cert.subject},
           {"fingerprint", cert.fingerprint}},
          [not_after] { return static_cast<double>(not_after - now_seconds()); }));
    }
  }
}

void expiry_watch::reload_stale_crls(std::int64_t now) {
  for (const auto& holder : holders_) {
    auto& loaded = loaded_next_update_[holder.get()];
    if (!loaded || *loaded > now) {
      continue;
    }
    const tls_settings& settings = holder->settings();
    const std::string files = settings.crl_files.empty() ? std::string() : settings.crl_files[0];
    if (reloaded_for_[holder.get()] != *loaded) {
      // The CRL in force is stale: re-read the files, which may hold a fresh one by now (the
      // file's own nextUpdate says nothing about the CRL loaded before it was replaced).
      reloaded_for_[holder.get()] = *loaded;
      log::info("tls.crl_next_update_passed")
          .kv("next_update", utc(*loaded))
          .kv("crl_files", files);
      if (holder->reload().ok()) {
        loaded = earliest_next_update(settings.crl_files);
      }
    }
    if (loaded && *loaded <= now) {
      log::error("tls.crl_stale")
          .kv("next_update", utc(*loaded))
          .kv("crl_files", files)
          .kv("effect", "peer certificates fail as crl-missing until a fresh CRL is installed");
    }
  }
}

void expiry_watch::arm() {
  auto wait = interval_;
  const std::int64_t now = now_seconds();
  for (const auto& [holder, next] : loaded_next_update_) {
    if (next && *next >= now) {
      // One second past nextUpdate, so that the CRL is stale when the check runs.
      wait = std::min(wait, std::chrono::seconds(*next - now + 1));
    }
  }
  timer_.expires_after(wait);  // cancels the previous wait
  // After cancel() or destruction the handler runs with an error and must not touch `this`.
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    on_timer();
  });
}

}  // namespace im2k::tls
