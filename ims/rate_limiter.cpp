#include "ims/rate_limiter.hpp"

#include <algorithm>

namespace im2k::ims {

rate_limiter::rate_limiter(rate_limit shape, std::size_t max_keys)
    : shape_(shape), max_keys_(std::max<std::size_t>(max_keys, 1)) {}

bool rate_limiter::try_take(const std::string& key, clock::time_point now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      make_room(now);
    }
    by_use_.push_back(key);
    it = buckets_.emplace(key, entry{token_bucket(shape_, now), std::prev(by_use_.end())}).first;
  } else {
    by_use_.splice(by_use_.end(), by_use_, it->second.use);
  }
  return it->second.bucket.try_take(now);
}

void rate_limiter::make_room(clock::time_point now) {
  for (auto it = by_use_.begin(); it != by_use_.end();) {
    auto found = buckets_.find(*it);
    if (found->second.bucket.full(now)) {
      buckets_.erase(found);
      it = by_use_.erase(it);
    } else {
      ++it;
    }
  }
  // Keep a tenth of the table free, so that the next insertions do not sweep again at once.
  const std::size_t target = max_keys_ - std::max<std::size_t>(max_keys_ / 10, 1);
  while (buckets_.size() > target && !by_use_.empty()) {
    buckets_.erase(by_use_.front());
    by_use_.pop_front();
  }
}

}  // namespace im2k::ims
