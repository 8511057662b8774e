// [U-4]: ten failed `auth` per window per key, then refused without checking the password.
#include "common/net/auth_failures.hpp"

#include <string>

#include <gtest/gtest.h>

namespace im2k::net {
namespace {

TEST(AuthFailures, TheTenthFailureClosesTheKeyAndOnlyThatKey) {
  auth_failures failures;
  for (int i = 0; i < auth_failures::max_failures - 1; ++i) {
    failures.count("addr:127.0.0.1");
  }
  EXPECT_FALSE(failures.over_limit("addr:127.0.0.1"));
  failures.count("addr:127.0.0.1");
  EXPECT_TRUE(failures.over_limit("addr:127.0.0.1"));
  EXPECT_FALSE(failures.over_limit("addr:127.0.0.2"));
  EXPECT_FALSE(failures.over_limit("user:alice@alpha.test"));
}

TEST(AuthFailures, AnUnknownKeyIsNotOverTheLimit) {
  auth_failures failures;
  EXPECT_FALSE(failures.over_limit("user:nobody@alpha.test"));
}

TEST(AuthFailures, AFullTableIsClearedRatherThanGrown) {
  auth_failures failures;
  for (int i = 0; i < auth_failures::max_failures; ++i) {
    failures.count("victim");
  }
  ASSERT_TRUE(failures.over_limit("victim"));
  for (std::size_t i = 1; i < auth_failures::max_keys; ++i) {
    failures.count("k" + std::to_string(i));
  }
  EXPECT_TRUE(failures.over_limit("victim"));  // max_keys entries: still counted
  failures.count("one-more");                  // would be entry max_keys + 1
  EXPECT_FALSE(failures.over_limit("victim"));
}

}  // namespace
}  // namespace im2k::net
