// Retry delays of SPEC.md [L-8]: after the n-th consecutive failed attempt the next one is due
// after min(initial * 2^(n-1), max), times a factor drawn uniformly from [0.8, 1.2].
#pragma once

#include <chrono>
#include <random>

namespace im2k::oms {

struct retry_policy {
  std::chrono::seconds initial{60};
  std::chrono::seconds max{3600};
};

// The delay without jitter; attempts < 1 counts as 1.
std::chrono::seconds base_delay(const retry_policy& policy, int attempts);

// base_delay times `factor`, which the caller draws from [0.8, 1.2]; at least 1 s.
std::chrono::seconds jittered_delay(const retry_policy& policy, int attempts, double factor);

// Draws the jitter factor: uniform in [0.8, 1.2].
double draw_jitter(std::mt19937_64& random);

}  // namespace im2k::oms
