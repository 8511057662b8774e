// Work ordered by due time, in memory: the index that lets a daemon find what is due without
// scanning its tables. The store stays the record; this is rebuilt from it at start and kept in
// step by the store's own write methods.
//
//   due_queue<std::string> q;
//   q.schedule("a", 100);            // due at 100 (replaces an earlier time of "a")
//   auto keys = q.take_due(150, 10); // {"a"}, removed from the queue
//
// Times are unix seconds, like the store's. Not thread-safe: use it from one event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace im2k::store {

template <class Key>
class due_queue {
 public:
  using time = std::int64_t;

  // Key becomes due at `at`, whatever time it had before.
  void schedule(const Key& key, time at) {
    remove(key);
    by_time_.emplace(at, key);
    times_.emplace(key, at);
  }

  // Key becomes due at `at` unless it is already due earlier.
  void schedule_earlier(const Key& key, time at) {
    auto it = times_.find(key);
    if (it == times_.end() || at < it->second) {
      schedule(key, at);
    }
  }

  void remove(const Key& key) {
    auto it = times_.find(key);
    if (it == times_.end()) {
      return;
    }
    by_time_.erase({it->second, key});
    times_.erase(it);
  }

  // Removes the keys from `first` on, in key order, while `within(key)` holds: all the keys
  // that share a prefix, for instance.
  template <class Within>
  void remove_from(const Key& first, Within within) {
    for (auto it = times_.lower_bound(first); it != times_.end() && within(it->first);) {
      by_time_.erase({it->second, it->first});
      it = times_.erase(it);
    }
  }
  bool contains(const Key& key) const { return times_.contains(key); }
  std::optional<time> due_at(const Key& key) const {
    auto it = times_.find(key);
    return it == times_.end() ? std::nullopt : std::optional<time>(it->second);
  }

  // The earliest due time, if any.
  std::optional<time> next() const {
    return by_time_.empty() ? std::nullopt : std::optional<time>(by_time_.begin()->first);
  }

  // Removes and returns the keys due at `now` (time <= now), earliest first, at most `limit`.
  std::vector<Key> take_due(time now, std::size_t limit) {
    std::vector<Key> out;
    while (!by_time_.empty() && out.size() < limit && by_time_.begin()->first <= now) {
      auto first = by_time_.begin();
      out.push_back(first->second);
      times_.erase(first->second);
      by_time_.erase(first);
    }
    return out;
  }

  // The keys due at `now`, earliest first, at most `limit`, left in the queue.
  std::vector<Key> peek_due(time now, std::size_t limit) const {
    std::vector<Key> out;
    for (auto it = by_time_.begin(); it != by_time_.end() && out.size() < limit; ++it) {
      if (it->first > now) {
        break;
      }
      out.push_back(it->second);
    }
    return out;
  }

  std::size_t size() const { return times_.size(); }
  bool empty() const { return times_.empty(); }
  void clear() {
    by_time_.clear();
    times_.clear();
  }

 private:
  std::set<std::pair<time, Key>> by_time_;
  std::map<Key, time> times_;
};

}  // namespace im2k::store
