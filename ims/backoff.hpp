// The retry schedule of SPEC [L-8], shared by pulls and acks: after the n-th consecutive
// failure the next attempt is due after min(initial * 2^(n-1), max), times a factor drawn
// uniformly from [0.8, 1.2] so that retries after an outage do not arrive together.
#pragma once

#include <chrono>
#include <cstdint>

namespace im2k::ims {

// `failures` >= 1; `jitter` in [0, 1] picks the factor (0 -> 0.8, 1 -> 1.2).
std::chrono::seconds retry_delay(std::int64_t failures, std::chrono::seconds initial,
                                 std::chrono::seconds max, double jitter);

// A jitter value from a non-cryptographic generator (timing only, no secret).
double random_jitter();

}  // namespace im2k::ims
