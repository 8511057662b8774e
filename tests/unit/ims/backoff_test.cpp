// [L-8]: min(initial * 2^(n-1), max) times a jitter factor in [0.8, 1.2].
#include <gtest/gtest.h>

#include "ims/backoff.hpp"

namespace im2k::ims {
namespace {

using std::chrono::seconds;

TEST(backoff, doubles_up_to_the_maximum) {
  EXPECT_EQ(retry_delay(1, seconds(60), seconds(3600), 0.5), seconds(60));
  EXPECT_EQ(retry_delay(2, seconds(60), seconds(3600), 0.5), seconds(120));
  EXPECT_EQ(retry_delay(6, seconds(60), seconds(3600), 0.5), seconds(1920));
  EXPECT_EQ(retry_delay(7, seconds(60), seconds(3600), 0.5), seconds(3600));
  EXPECT_EQ(retry_delay(1000, seconds(60), seconds(3600), 0.5), seconds(3600));
}

TEST(backoff, jitter_spans_eighty_to_one_hundred_twenty_percent) {
  EXPECT_EQ(retry_delay(1, seconds(100), seconds(3600), 0.0), seconds(80));
  EXPECT_EQ(retry_delay(1, seconds(100), seconds(3600), 1.0), seconds(120));
  for (int i = 0; i < 100; ++i) {
    const double j = random_jitter();
    EXPECT_GE(j, 0.0);
    EXPECT_LE(j, 1.0);
  }
}

}  // namespace
}  // namespace im2k::ims
