// A monotonically increasing count (one label set of a counter family). Increments are one
// relaxed atomic add: safe from any thread, no lock.
#pragma once

#include <atomic>
#include <cstdint>

namespace im2k::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace im2k::metrics
