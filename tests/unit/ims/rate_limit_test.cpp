// Token buckets and the bounded table of them ([N-1] steps 8 and 11), on a fake clock.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "ims/rate_limiter.hpp"
#include "ims/token_bucket.hpp"

namespace im2k::ims {
namespace {

using namespace std::chrono_literals;
using clock = token_bucket::clock;

const clock::time_point t0{std::chrono::hours(1000)};

TEST(token_bucket, starts_full_and_allows_its_burst) {
  token_bucket bucket({.rate = 2, .per = 10s, .burst = 3}, t0);
  EXPECT_TRUE(bucket.full(t0));
  EXPECT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.full(t0));
  EXPECT_TRUE(bucket.try_take(t0));
  EXPECT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0));  // a refused request costs nothing and gains nothing
}

TEST(token_bucket, refills_at_rate_per_period) {
  token_bucket bucket({.rate = 2, .per = 10s, .burst = 2}, t0);
  ASSERT_TRUE(bucket.try_take(t0));
  ASSERT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0 + 4s));  // 0.8 of a token
  EXPECT_TRUE(bucket.try_take(t0 + 5s));   // one token after per / rate
  EXPECT_FALSE(bucket.try_take(t0 + 5s));
  EXPECT_TRUE(bucket.try_take(t0 + 10s));
  EXPECT_FALSE(bucket.full(t0 + 10s));
  EXPECT_TRUE(bucket.full(t0 + 20s));
}

TEST(token_bucket, never_holds_more_than_its_burst) {
  token_bucket bucket({.rate = 1, .per = 1s, .burst = 2}, t0);
  const auto later = t0 + 24h;
  EXPECT_DOUBLE_EQ(bucket.tokens(later), 2.0);
  EXPECT_TRUE(bucket.try_take(later));
  EXPECT_TRUE(bucket.try_take(later));
  EXPECT_FALSE(bucket.try_take(later));
}

TEST(token_bucket, many_small_refills_add_up_to_whole_tokens) {
  token_bucket bucket({.rate = 5, .per = 1s, .burst = 1}, t0);
  ASSERT_TRUE(bucket.try_take(t0));
  for (int i = 1; i < 5; ++i) {  // a fifth of a token at a time, summed in floating point
    EXPECT_FALSE(bucket.try_take(t0 + i * 40ms)) << i;
  }
  EXPECT_TRUE(bucket.try_take(t0 + 200ms));
}

TEST(token_bucket, a_clock_going_back_refills_nothing) {
  token_bucket bucket({.rate = 1, .per = 1s, .burst = 1}, t0);
  ASSERT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0 - 10s));
  EXPECT_TRUE(bucket.try_take(t0 + 1s));
}

TEST(rate_limiter, keys_have_their_own_buckets) {
  rate_limiter limiter({.rate = 1, .per = 1min, .burst = 1});
  EXPECT_TRUE(limiter.try_take("a", t0));
  EXPECT_FALSE(limiter.try_take("a", t0));
  EXPECT_TRUE(limiter.try_take("b", t0));
  EXPECT_FALSE(limiter.try_take("b", t0 + 30s));
  EXPECT_TRUE(limiter.try_take("a", t0 + 1min));
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(rate_limiter, never_holds_more_than_max_keys) {
  rate_limiter limiter({.rate = 1, .per = 1h, .burst = 1}, 100);
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_TRUE(limiter.try_take("addr" + std::to_string(i), t0));
    ASSERT_LE(limiter.size(), 100u);
  }
}

TEST(rate_limiter, evicts_full_buckets_before_busy_ones) {
  rate_limiter limiter({.rate = 1, .per = 10s, .burst = 1}, 10);
  ASSERT_TRUE(limiter.try_take("busy", t0 + 5s));  // used last, empty until t0 + 15s
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(limiter.try_take("idle" + std::to_string(i), t0));  // full again at t0 + 10s
  }
  ASSERT_EQ(limiter.size(), 10u);
  // At t0 + 12s the idle buckets are full: they go, "busy" stays and is still empty.
  EXPECT_TRUE(limiter.try_take("new", t0 + 12s));
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_FALSE(limiter.try_take("busy", t0 + 12s));
}

TEST(rate_limiter, when_no_bucket_is_full_the_least_recently_used_go) {
  rate_limiter limiter({.rate = 1, .per = 1h, .burst = 1}, 10);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(limiter.try_take("k" + std::to_string(i), t0));
  }
  EXPECT_FALSE(limiter.try_take("k0", t0));  // k0 is now the most recently used
  EXPECT_TRUE(limiter.try_take("new", t0));
  EXPECT_LE(limiter.size(), 10u);
  EXPECT_FALSE(limiter.try_take("k0", t0));  // kept: its emptiness still counts
  EXPECT_TRUE(limiter.try_take("k1", t0));   // evicted: starts afresh
}

}  // namespace
}  // namespace im2k::ims
