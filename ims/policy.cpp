#include "ims/policy.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/algorithm/string/predicate.hpp>

#include "ims/designation.hpp"
#include "proto/syntax.hpp"

namespace im2k::ims {
namespace {

bool names(const std::vector<std::string>& list, std::string_view name) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& n) { return boost::algorithm::iequals(n, name); });
}

// A deny list refuses what it names; a non-empty allow list refuses what it does not name.
bool refused(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
             std::string_view name) {
  return names(deny, name) || (!allow.empty() && !names(allow, name));
}

}  // namespace

std::string source_key(const boost::asio::ip::address& source) {
  const auto address = unmap(source);
  if (address.is_v4()) {
    return address.to_string();
  }
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

notify_policy::notify_policy(policy_settings settings, std::size_t max_keys)
    : settings_(std::move(settings)) {
  if (settings_.per_address) {
    per_address_.emplace(*settings_.per_address, max_keys);
  }
  if (settings_.per_domain) {
    per_domain_.emplace(*settings_.per_domain, max_keys);
  }
}

std::optional<policy_refusal> notify_policy::check_source(const boost::asio::ip::address& source,
                                                          clock::time_point now) {
  if (!per_address_) {
    return std::nullopt;
  }
  const std::string key = source_key(source);
  if (per_address_->try_take(key, now)) {
    return std::nullopt;
  }
  return policy_refusal{proto::errc::rate_limited,
                        "too many notifications from " + key + "; retry later"};
}

std::optional<policy_refusal> notify_policy::check_parties(std::string_view sender_domain,
                                                           std::string_view host) const {
  if (refused(settings_.allow_domains, settings_.deny_domains, sender_domain)) {
    return policy_refusal{proto::errc::policy,
                          "sender domain " + proto::to_lower(sender_domain) + " refused by policy"};
  }
  if (refused(settings_.allow_hosts, settings_.deny_hosts, host)) {
    return policy_refusal{proto::errc::policy,
                          "sending host " + proto::to_lower(host) + " refused by policy"};
  }
  return std::nullopt;
}

std::optional<policy_refusal> notify_policy::check_sender_rate(std::string_view sender_domain,
                                                               clock::time_point now) {
  if (!per_domain_) {
    return std::nullopt;
  }
  const std::string key = proto::to_lower(sender_domain);
  if (per_domain_->try_take(key, now)) {
    return std::nullopt;
  }
  return policy_refusal{proto::errc::rate_limited,
                        "too many notifications from sender domain " + key + "; retry later"};
}

}  // namespace im2k::ims
