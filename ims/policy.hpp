// The IMS's local policy on notifications, [N-1] steps 8, 10 and 11 and the recipients cap of
// [N-17]: authentication proved who the peer is; this decides what it may do (issue 6).
//
//   notify_policy policy(config.policy);
//   if (auto refusal = policy.check_source(peer.source, clock::now())) { ... refuse ... }
//
// Lists match whole names, case-insensitively: "alpha.test" does not name "mx.alpha.test".
// Not thread-safe: the IMS uses it from its one event-loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "ims/policy_settings.hpp"
#include "ims/rate_limiter.hpp"
#include "proto/error.hpp"

namespace im2k::ims {

// A refusal of the whole notification: the code of its step and a reason for the log and the
// peer ([E-6]: no local details).
struct policy_refusal {
  proto::errc code;
  std::string reason;
};

class notify_policy {
 public:
  using clock = std::chrono::steady_clock;

  explicit notify_policy(policy_settings settings,
                         std::size_t max_keys = rate_limiter::default_max_keys);

  // Step 8: the rate limit per source address A, before any DNS work. IPv6 sources count per
  // /64, the smallest block a site is given, so that one site cannot multiply its budget.
  std::optional<policy_refusal> check_source(const boost::asio::ip::address& source,
                                             clock::time_point now);
  // Step 10: the allow and deny lists on the sender domain S and the peer host H (`policy`).
  std::optional<policy_refusal> check_parties(std::string_view sender_domain,
                                              std::string_view host) const;
  // Step 11: the rate limit per sender domain S; called only after SPF passed ([X-1]).
  std::optional<policy_refusal> check_sender_rate(std::string_view sender_domain,
                                                  clock::time_point now);

  // Recipients evaluated afresh from one notification; the rest are deferred ([N-17]).
  std::size_t max_recipients() const { return settings_.max_recipients; }
  const policy_settings& settings() const { return settings_; }

 private:
  policy_settings settings_;
  std::optional<rate_limiter> per_address_;
  std::optional<rate_limiter> per_domain_;
};

// The key of `source` for the per-address limit: the address, or its /64 for IPv6.
std::string source_key(const boost::asio::ip::address& source);

}  // namespace im2k::ims
