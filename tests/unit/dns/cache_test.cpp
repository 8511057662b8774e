#include "common/dns/cache.hpp"

#include <gtest/gtest.h>

namespace im2k::dns {
namespace {

using namespace std::chrono_literals;
using clock = answer_cache::clock;

answer_set answer_with(std::string data) {
  return answer_set{status::ok, "", {wire::record{60, 0, std::move(data)}}};
}

TEST(answer_cache, returns_an_answer_until_it_expires) {
  answer_cache cache(10);
  const auto t0 = clock::time_point{} + 1h;
  cache.store(wire::type_txt, "example.com", answer_with("x"), 60s, t0);
  const auto hit = cache.find(wire::type_txt, "example.com", t0 + 59s);
  ASSERT_TRUE(hit);
  ASSERT_EQ(hit->records.size(), 1u);
  EXPECT_EQ(hit->records[0].data, "x");
  EXPECT_FALSE(cache.find(wire::type_a, "example.com", t0 + 1s));  // another type
  EXPECT_FALSE(cache.find(wire::type_txt, "example.com", t0 + 60s));
  EXPECT_EQ(cache.size(), 0u);  // the expired entry is gone
}

TEST(answer_cache, keeps_negative_answers) {
  answer_cache cache(10);
  const auto t0 = clock::time_point{} + 1h;
  cache.store(wire::type_mx, "nope.test", answer_set{status::nxdomain, "NXDOMAIN", {}}, 30s, t0);
  const auto hit = cache.find(wire::type_mx, "nope.test", t0 + 10s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->state, status::nxdomain);
}

TEST(answer_cache, zero_ttl_or_zero_capacity_stores_nothing) {
  const auto t0 = clock::time_point{} + 1h;
  answer_cache cache(10);
  cache.store(wire::type_a, "a.test", answer_with("1234"), 0s, t0);
  EXPECT_EQ(cache.size(), 0u);
  answer_cache none(0);
  none.store(wire::type_a, "a.test", answer_with("1234"), 60s, t0);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none.find(wire::type_a, "a.test", t0));
}

TEST(answer_cache, is_bounded_and_drops_the_least_recently_used) {
  answer_cache cache(3);
  const auto t0 = clock::time_point{} + 1h;
  cache.store(wire::type_a, "a.test", answer_with("a"), 60s, t0);
  cache.store(wire::type_a, "b.test", answer_with("b"), 60s, t0);
  cache.store(wire::type_a, "c.test", answer_with("c"), 60s, t0);
  ASSERT_TRUE(cache.find(wire::type_a, "a.test", t0));  // a is now the most recently used
  cache.store(wire::type_a, "d.test", answer_with("d"), 60s, t0);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.find(wire::type_a, "a.test", t0));
  EXPECT_FALSE(cache.find(wire::type_a, "b.test", t0));
  EXPECT_TRUE(cache.find(wire::type_a, "c.test", t0));
  EXPECT_TRUE(cache.find(wire::type_a, "d.test", t0));
  for (int i = 0; i < 100; ++i) {
    cache.store(wire::type_a, std::to_string(i) + ".test", answer_with("x"), 60s, t0);
    EXPECT_LE(cache.size(), 3u);
  }
}

TEST(answer_cache, storing_again_replaces) {
  answer_cache cache(3);
  const auto t0 = clock::time_point{} + 1h;
  cache.store(wire::type_a, "a.test", answer_with("old"), 60s, t0);
  cache.store(wire::type_a, "a.test", answer_with("new"), 60s, t0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find(wire::type_a, "a.test", t0)->records[0].data, "new");
}

}  // namespace
}  // namespace im2k::dns
