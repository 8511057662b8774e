// A value that goes up and down (one label set of a gauge family). Integral, because every
// gauge im2k keeps is a count; one relaxed atomic operation per change, from any thread.
// Values read from elsewhere at scrape time are callback gauges (registry::callback_gauge).
#pragma once

#include <atomic>
#include <cstdint>

namespace im2k::metrics {

class gauge {
 public:
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace im2k::metrics
