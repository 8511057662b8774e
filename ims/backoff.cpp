#include "ims/backoff.hpp"

#include <algorithm>
#include <random>

namespace im2k::ims {

std::chrono::seconds retry_delay(std::int64_t failures, std::chrono::seconds initial,
                                 std::chrono::seconds max, double jitter) {
  const std::int64_t doublings = std::clamp<std::int64_t>(failures - 1, 0, 40);
  double base = static_cast<double>(initial.count());
  for (std::int64_t i = 0; i < doublings && base < static_cast<double>(max.count()); ++i) {
    base *= 2;
  }
  base = std::min(base, static_cast<double>(max.count()));
  const double factor = 0.8 + 0.4 * std::clamp(jitter, 0.0, 1.0);
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(base * factor)));
}

double random_jitter() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace im2k::ims
