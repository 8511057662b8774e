#include "ims/token_bucket.hpp"

#include <algorithm>

namespace im2k::ims {
namespace {

// Refills add fractions of a token; a sum that should be whole may fall short by rounding.
constexpr double slack = 1e-9;

}  // namespace

token_bucket::token_bucket(rate_limit shape, clock::time_point now)
    : shape_(shape), tokens_(static_cast<double>(shape.burst)), last_(now) {}

double token_bucket::refilled(clock::time_point now) const {
  // A time before the last one (never from steady_clock) refills nothing.
  if (now <= last_ || shape_.per.count() <= 0) {
    return tokens_;
  }
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  const double per_second =
      static_cast<double>(shape_.rate) / std::chrono::duration<double>(shape_.per).count();
  return std::min(static_cast<double>(shape_.burst), tokens_ + elapsed * per_second);
}

bool token_bucket::try_take(clock::time_point now) {
  tokens_ = refilled(now);
  last_ = std::max(last_, now);
  if (tokens_ < 1.0 - slack) {
    return false;
  }
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

bool token_bucket::full(clock::time_point now) const {
  return refilled(now) >= static_cast<double>(shape_.burst) - slack;
}

double token_bucket::tokens(clock::time_point now) const {
  return refilled(now);
}

}  // namespace im2k::ims
