#include "oms/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace im2k::oms {

std::chrono::seconds base_delay(const retry_policy& policy, int attempts) {
  const int n = std::max(attempts, 1);
  // Doubling past 2^30 cannot stay below any sane max; stop early to avoid overflow.
  const int shift = std::min(n - 1, 30);
  const long double delay = static_cast<long double>(policy.initial.count()) * (1LL << shift);
  const long double bound = static_cast<long double>(policy.max.count());
  return std::chrono::seconds(static_cast<std::int64_t>(std::min(delay, bound)));
}

std::chrono::seconds jittered_delay(const retry_policy& policy, int attempts, double factor) {
  const double seconds = static_cast<double>(base_delay(policy, attempts).count()) * factor;
  return std::chrono::seconds(std::max<std::int64_t>(1, std::llround(seconds)));
}

double draw_jitter(std::mt19937_64& random) {
  return std::uniform_real_distribution<double>(0.8, 1.2)(random);
}

}  // namespace im2k::oms
