// A token bucket: holds up to `burst` tokens, refilled at `rate` tokens per `per`; each request
// takes one. The caller passes the time, so that tests need no sleeps.
#pragma once

#include <chrono>

#include "ims/policy_settings.hpp"

namespace im2k::ims {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // Starts full: a sender not seen before may send its burst at once.
  token_bucket(rate_limit shape, clock::time_point now);

  // Takes one token if there is one.
  bool try_take(clock::time_point now);
  // True when the bucket has refilled to `burst`: it then says no more than a new one would.
  bool full(clock::time_point now) const;
  // The tokens held at `now` (tests, logs).
  double tokens(clock::time_point now) const;

 private:
  double refilled(clock::time_point now) const;

  rate_limit shape_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace im2k::ims
