#include "common/net/auth_failures.hpp"

namespace im2k::net {

bool auth_failures::over_limit(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return false;
  }
  if (std::chrono::steady_clock::now() - it->second.start > window) {
    entries_.erase(it);
    return false;
  }
  return it->second.failures >= max_failures;
}

void auth_failures::count(const std::string& key) {
  if (entries_.size() >= max_keys) {
    entries_.clear();  // bounded memory beats perfect accounting under a flood
  }
  auto& e = entries_[key];
  const auto now = std::chrono::steady_clock::now();
  if (e.failures == 0 || now - e.start > window) {
    e = entry{0, now};
  }
  ++e.failures;
}

}  // namespace im2k::net
