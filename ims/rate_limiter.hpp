// Token buckets keyed by a string (a source address, a sender domain), with a bounded number of
// keys, so that memory does not grow with the number of addresses or domains an attacker uses.
//
// When a new key finds the table full, buckets that have refilled completely are dropped first
// (a new bucket would say the same); if that frees less than a tenth of the table, the least
// recently used buckets go too. The sweep is O(keys) but runs at most once per tenth of the
// table's insertions. Not thread-safe: the IMS uses it from its one event-loop thread.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ims/policy_settings.hpp"
#include "ims/token_bucket.hpp"

namespace im2k::ims {

class rate_limiter {
 public:
  using clock = token_bucket::clock;

  static constexpr std::size_t default_max_keys = 100'000;

  explicit rate_limiter(rate_limit shape, std::size_t max_keys = default_max_keys);

  // Takes one token from `key`'s bucket; false when it is empty (the request is over the limit).
  bool try_take(const std::string& key, clock::time_point now);

  std::size_t size() const { return buckets_.size(); }
  std::size_t max_keys() const { return max_keys_; }
  const rate_limit& shape() const { return shape_; }

 private:
  struct entry {
    token_bucket bucket;
    std::list<std::string>::iterator use;  // into by_use_
  };

  void make_room(clock::time_point now);

  rate_limit shape_;
  std::size_t max_keys_;
  std::unordered_map<std::string, entry> buckets_;
  std::list<std::string> by_use_;  // least recently used first
};

}  // namespace im2k::ims
