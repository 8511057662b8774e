#include "common/dns/cache.hpp"

namespace im2k::dns {

std::string answer_cache::key_of(std::uint16_t type, const std::string& name) {
  return std::to_string(type) + '/' + name;
}

std::optional<answer_set> answer_cache::find(std::uint16_t type, const std::string& name,
                                             clock::time_point now) {
  const auto found = index_.find(key_of(type, name));
  if (found == index_.end()) {
    return std::nullopt;
  }
  const auto it = found->second;
  if (it->expires <= now) {
    index_.erase(found);
    entries_.erase(it);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, it);
  return it->answer;
}

void answer_cache::store(std::uint16_t type, const std::string& name, answer_set answer,
                         std::chrono::seconds ttl, clock::time_point now) {
  if (capacity_ == 0 || ttl <= std::chrono::seconds::zero()) {
    return;
  }
  std::string key = key_of(type, name);
  if (const auto found = index_.find(key); found != index_.end()) {
    entries_.erase(found->second);
    index_.erase(found);
  }
  while (entries_.size() >= capacity_) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
  entries_.push_front(entry{key, std::move(answer), now + ttl});
  index_.emplace(std::move(key), entries_.begin());
}

}  // namespace im2k::dns
