// The IMS's policy decisions on notifications: [N-1] step 8 (per source address), step 10
// (allow and deny lists on S and H), step 11 (per sender domain), on a fake clock.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "ims/policy.hpp"

namespace im2k::ims {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using clock = notify_policy::clock;

const clock::time_point t0{std::chrono::hours(1000)};

TEST(notify_policy, no_settings_refuse_nothing) {
  notify_policy policy{policy_settings{}};
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(policy.check_source(make_address("127.0.0.1"), t0));
    ASSERT_FALSE(policy.check_sender_rate("alpha.test", t0));
  }
  EXPECT_FALSE(policy.check_parties("alpha.test", "oms.alpha.test"));
  EXPECT_EQ(policy.max_recipients(), 100u);
}

TEST(notify_policy, step_8_limits_each_source_address) {
  policy_settings settings;
  settings.per_address = rate_limit{.rate = 1, .per = 10s, .burst = 2};
  notify_policy policy(settings);
  const auto a = make_address("192.0.2.1");
  EXPECT_FALSE(policy.check_source(a, t0));
  EXPECT_FALSE(policy.check_source(a, t0));
  auto refusal = policy.check_source(a, t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->code, proto::errc::rate_limited);
  EXPECT_TRUE(proto::is_temporary(refusal->code));
  EXPECT_NE(refusal->reason.find("192.0.2.1"), std::string::npos) << refusal->reason;
  EXPECT_FALSE(policy.check_source(make_address("192.0.2.2"), t0));  // another address
  EXPECT_FALSE(policy.check_source(a, t0 + 10s));                    // refilled
}

TEST(notify_policy, step_8_counts_a_v4_mapped_address_as_its_v4_address) {
  policy_settings settings;
  settings.per_address = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  notify_policy policy(settings);
  EXPECT_FALSE(policy.check_source(make_address("192.0.2.1"), t0));
  EXPECT_TRUE(policy.check_source(make_address("::ffff:192.0.2.1"), t0));
}

TEST(notify_policy, step_8_counts_ipv6_per_64) {
  policy_settings settings;
  settings.per_address = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  notify_policy policy(settings);
  EXPECT_FALSE(policy.check_source(make_address("2001:db8:1:2::1"), t0));
  EXPECT_TRUE(policy.check_source(make_address("2001:db8:1:2:ffff::7"), t0));
  EXPECT_FALSE(policy.check_source(make_address("2001:db8:1:3::1"), t0));
  EXPECT_EQ(source_key(make_address("2001:db8:1:2:ffff::7")), "2001:db8:1:2::/64");
}

TEST(notify_policy, step_10_deny_lists_refuse_permanently) {
  policy_settings settings;
  settings.deny_domains = {"bad.test"};
  settings.deny_hosts = {"oms.evil.test"};
  notify_policy policy(settings);
  auto by_domain = policy.check_parties("Bad.Test", "oms.alpha.test");
  ASSERT_TRUE(by_domain);
  EXPECT_EQ(by_domain->code, proto::errc::policy);
  EXPECT_FALSE(proto::is_temporary(by_domain->code));
  EXPECT_NE(by_domain->reason.find("bad.test"), std::string::npos) << by_domain->reason;
  auto by_host = policy.check_parties("alpha.test", "OMS.evil.test");
  ASSERT_TRUE(by_host);
  EXPECT_EQ(by_host->code, proto::errc::policy);
  EXPECT_FALSE(policy.check_parties("alpha.test", "oms.alpha.test"));
  // Whole names only: a subdomain is not named.
  EXPECT_FALSE(policy.check_parties("sub.bad.test", "oms.alpha.test"));
}

TEST(notify_policy, step_10_a_non_empty_allow_list_admits_only_what_it_names) {
  policy_settings settings;
  settings.allow_domains = {"alpha.test"};
  settings.allow_hosts = {"oms.alpha.test", "oms.gamma.test"};
  notify_policy policy(settings);
  EXPECT_FALSE(policy.check_parties("ALPHA.test", "oms.gamma.test"));
  auto domain = policy.check_parties("gamma.test", "oms.gamma.test");
  ASSERT_TRUE(domain);
  EXPECT_EQ(domain->code, proto::errc::policy);
  auto host = policy.check_parties("alpha.test", "oms.other.test");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->code, proto::errc::policy);
}

TEST(notify_policy, step_10_deny_wins_over_allow) {
  policy_settings settings;
  settings.allow_domains = {"alpha.test"};
  settings.deny_domains = {"alpha.test"};
  notify_policy policy(settings);
  EXPECT_TRUE(policy.check_parties("alpha.test", "oms.alpha.test"));
}

TEST(notify_policy, step_11_limits_each_sender_domain_ignoring_case) {
  policy_settings settings;
  settings.per_domain = rate_limit{.rate = 2, .per = 10s, .burst = 2};
  notify_policy policy(settings);
  EXPECT_FALSE(policy.check_sender_rate("alpha.test", t0));
  EXPECT_FALSE(policy.check_sender_rate("Alpha.Test", t0 + 1s));
  auto third = policy.check_sender_rate("ALPHA.TEST", t0 + 2s);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->code, proto::errc::rate_limited);
  EXPECT_NE(third->reason.find("alpha.test"), std::string::npos) << third->reason;
  EXPECT_FALSE(policy.check_sender_rate("gamma.test", t0 + 2s));
  EXPECT_FALSE(policy.check_sender_rate("alpha.test", t0 + 5s));  // one token per 5 s
  EXPECT_TRUE(policy.check_sender_rate("alpha.test", t0 + 6s));
}

TEST(notify_policy, the_two_limits_are_independent) {
  policy_settings settings;
  settings.per_address = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  settings.per_domain = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  notify_policy policy(settings);
  EXPECT_FALSE(policy.check_source(make_address("192.0.2.1"), t0));
  EXPECT_FALSE(policy.check_sender_rate("192.0.2.1", t0));
}

TEST(notify_policy, memory_is_bounded_by_max_keys) {
  policy_settings settings;
  settings.per_address = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  notify_policy policy(settings, 50);
  for (unsigned i = 0; i < 5000; ++i) {
    const auto address = boost::asio::ip::address_v4(0xC0000000u + i);
    ASSERT_FALSE(policy.check_source(address, t0));
  }
  // The first addresses were evicted and start afresh; the most recent are still counted.
  EXPECT_TRUE(policy.check_source(boost::asio::ip::address_v4(0xC0000000u + 4999), t0));
}

}  // namespace
}  // namespace im2k::ims
