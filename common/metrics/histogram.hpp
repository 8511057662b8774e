// A distribution over fixed buckets (one label set of a histogram family). observe() is a few
// relaxed atomic operations, from any thread, no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace im2k::metrics {

class histogram {
 public:
  // `bounds`: the upper bounds of the buckets, strictly increasing and finite (+Inf is implied).
  // Throws std::invalid_argument otherwise (a programming error).
  explicit histogram(std::vector<double> bounds);

  void observe(double value) noexcept;

  const std::vector<double>& bounds() const { return bounds_; }
  // Per bucket, not cumulative; the last entry is the +Inf bucket (bounds().size() + 1 entries).
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// 0.01 s to 3600 s, about three buckets per decade: for delays from submission to delivery.
std::vector<double> delay_buckets();

}  // namespace im2k::metrics
