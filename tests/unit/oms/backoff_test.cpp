#include "oms/backoff.hpp"

#include <gtest/gtest.h>

namespace im2k::oms {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesUpToTheMaximum) {  // [L-8]
  const retry_policy p{60s, 3600s};
  EXPECT_EQ(base_delay(p, 1), 60s);
  EXPECT_EQ(base_delay(p, 2), 120s);
  EXPECT_EQ(base_delay(p, 3), 240s);
  EXPECT_EQ(base_delay(p, 6), 1920s);
  EXPECT_EQ(base_delay(p, 7), 3600s);
  EXPECT_EQ(base_delay(p, 1000), 3600s);
  EXPECT_EQ(base_delay(p, 0), 60s);
}

TEST(Backoff, JitterStaysWithinTwentyPercent) {
  const retry_policy p{60s, 3600s};
  std::mt19937_64 random(42);
  bool below = false;
  bool above = false;
  for (int i = 0; i < 2000; ++i) {
    const double factor = draw_jitter(random);
    ASSERT_GE(factor, 0.8);
    ASSERT_LE(factor, 1.2);
    const auto d = jittered_delay(p, 3, factor);
    ASSERT_GE(d, 192s);
    ASSERT_LE(d, 288s);
    below = below || d < 240s;
    above = above || d > 240s;
  }
  EXPECT_TRUE(below);  // the jitter really spreads both ways
  EXPECT_TRUE(above);
  EXPECT_EQ(jittered_delay(p, 100, 1.2), 4320s);
  EXPECT_EQ(jittered_delay(p, 100, 0.8), 2880s);
}

}  // namespace
}  // namespace im2k::oms
