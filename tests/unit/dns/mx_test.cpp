#include "common/dns/mx.hpp"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/fake_resolver.hpp"
#include "tests/support/run_awaitable.hpp"

namespace im2k::dns {
namespace {

using test::fake_resolver;
using test::run_awaitable;

mx_plan plan(fake_resolver& dns, std::string domain, std::size_t max_hosts = 5) {
  return run_awaitable(plan_mx(dns, std::move(domain), max_hosts));
}

TEST(plan_mx, orders_hosts_by_preference) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::ok<mx_record>(
      {{20, "b.example.com"}, {10, "a.example.com"}, {30, "c.example.net"}});
  const auto p = plan(dns, "Example.COM.");
  EXPECT_EQ(p.outcome, mx_outcome::hosts);
  EXPECT_EQ(p.hosts, (std::vector<std::string>{"a.example.com", "b.example.com", "c.example.net"}));
  ASSERT_EQ(dns.queries.size(), 1u);
  EXPECT_EQ(dns.queries[0], (std::pair<std::string, std::string>{"MX", "example.com"}));
}

TEST(plan_mx, equal_preferences_are_shuffled_but_never_cross_preferences) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::ok<mx_record>(
      {{10, "x.example.com"}, {20, "w.example.com"}, {10, "y.example.com"}, {10, "z.example.com"}});
  std::map<std::string, int> first;
  for (int i = 0; i < 300; ++i) {
    const auto p = plan(dns, "example.com");
    ASSERT_EQ(p.outcome, mx_outcome::hosts);
    ASSERT_EQ(p.hosts.size(), 4u);
    EXPECT_EQ(p.hosts.back(), "w.example.com");
    EXPECT_EQ(std::set<std::string>(p.hosts.begin(), p.hosts.begin() + 3),
              (std::set<std::string>{"x.example.com", "y.example.com", "z.example.com"}));
    ++first[p.hosts.front()];
  }
  // Each of the three equal hosts comes first sometimes (failing by chance: < 3 * (2/3)^300).
  EXPECT_EQ(first.size(), 3u);
}

TEST(order_mx_hosts, is_deterministic_for_a_seed_and_varies_across_seeds) {
  const std::vector<mx_record> records = {
      {5, "a.example.com"}, {5, "b.example.com"}, {5, "c.example.com"}, {5, "d.example.com"}};
  EXPECT_EQ(order_mx_hosts(records, 10, 7), order_mx_hosts(records, 10, 7));
  std::set<std::vector<std::string>> orders;
  for (unsigned seed = 0; seed < 50; ++seed) {
    orders.insert(order_mx_hosts(records, 10, seed));
  }
  EXPECT_GT(orders.size(), 1u);
}

TEST(plan_mx, at_most_max_hosts_each_once_invalid_targets_skipped) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::ok<mx_record>({{1, "a.example.com"},
                                                                {2, "A.Example.com"},
                                                                {3, "1.2.3.4"},
                                                                {4, "b.example.com"},
                                                                {5, "c.example.com"},
                                                                {6, "d.example.com"}});
  const auto p = plan(dns, "example.com", 3);
  EXPECT_EQ(p.outcome, mx_outcome::hosts);
  EXPECT_EQ(p.hosts, (std::vector<std::string>{"a.example.com", "b.example.com", "c.example.com"}));
}

TEST(plan_mx, null_mx_is_permanent) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::ok<mx_record>({{0, ""}});
  const auto p = plan(dns, "example.com");
  EXPECT_EQ(p.outcome, mx_outcome::null_mx);
  EXPECT_TRUE(p.hosts.empty());
}

TEST(plan_mx, a_root_target_among_others_is_skipped) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::ok<mx_record>({{0, ""}, {10, "mx.example.com"}});
  const auto p = plan(dns, "example.com");
  EXPECT_EQ(p.outcome, mx_outcome::hosts);
  EXPECT_EQ(p.hosts, (std::vector<std::string>{"mx.example.com"}));
}

TEST(plan_mx, no_mx_is_permanent_and_has_no_address_fallback) {
  fake_resolver dns;
  dns.mx_answers["nodata.example"] = fake_resolver::failed<mx_record>(status::nodata);
  dns.a_answers["nodata.example"] = fake_resolver::ok<boost::asio::ip::address_v4>(
      {boost::asio::ip::make_address_v4("192.0.2.1")});
  EXPECT_EQ(plan(dns, "nodata.example").outcome, mx_outcome::no_mx);
  EXPECT_EQ(plan(dns, "nxdomain.example").outcome, mx_outcome::no_mx);
  for (const auto& q : dns.queries) {
    EXPECT_EQ(q.first, "MX");  // never asked for A or AAAA
  }
}

TEST(plan_mx, only_unusable_targets_is_no_mx) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::ok<mx_record>({{10, "[192.0.2.1]"}});
  EXPECT_EQ(plan(dns, "example.com").outcome, mx_outcome::no_mx);
}

TEST(plan_mx, dns_failure_is_temporary) {
  fake_resolver dns;
  dns.mx_answers["example.com"] = fake_resolver::failed<mx_record>(status::temporary, "SERVFAIL");
  const auto p = plan(dns, "example.com");
  EXPECT_EQ(p.outcome, mx_outcome::temporary);
  EXPECT_EQ(p.detail, "SERVFAIL");
}

TEST(plan_mx, bad_domains_are_refused_without_a_query) {
  fake_resolver dns;
  for (const std::string& domain :
       std::vector<std::string>{"[192.0.2.1]", "[IPv6:2001:db8::1]", "192.0.2.1", "", ".",
                                "localhost", "a..example.com", "-a.example.com", "a_b.example.com",
                                "exa mple.com", std::string(64, 'a') + ".com", "example.com.."}) {
    EXPECT_EQ(plan(dns, domain).outcome, mx_outcome::bad_domain) << domain;
  }
  EXPECT_TRUE(dns.queries.empty());
}

TEST(is_mx_host, checks_membership_case_insensitively) {
  fake_resolver dns;
  dns.mx_answers["example.com"] =
      fake_resolver::ok<mx_record>({{10, "mx1.example.com"}, {20, "mx2.example.net"}});
  dns.mx_answers["down.example"] = fake_resolver::failed<mx_record>(status::temporary, "timeout");
  dns.mx_answers["null.example"] = fake_resolver::ok<mx_record>({{0, ""}});
  EXPECT_EQ(run_awaitable(is_mx_host(dns, "example.com", "MX2.example.net.")).result,
            mx_membership::member);
  EXPECT_EQ(run_awaitable(is_mx_host(dns, "example.com", "mx3.example.com")).result,
            mx_membership::not_member);
  EXPECT_EQ(run_awaitable(is_mx_host(dns, "nxdomain.example", "mx1.example.com")).result,
            mx_membership::not_member);
  EXPECT_EQ(run_awaitable(is_mx_host(dns, "down.example", "mx1.example.com")).result,
            mx_membership::temporary);
  EXPECT_EQ(run_awaitable(is_mx_host(dns, "null.example", "null.example")).result,
            mx_membership::not_member);
  EXPECT_EQ(run_awaitable(is_mx_host(dns, "[192.0.2.1]", "mx1.example.com")).result,
            mx_membership::not_member);
}

TEST(host_addresses, combines_a_and_aaaa) {
  fake_resolver dns;
  dns.a_answers["both.example"] = fake_resolver::ok<boost::asio::ip::address_v4>(
      {boost::asio::ip::make_address_v4("192.0.2.1")});
  dns.aaaa_answers["both.example"] = fake_resolver::ok<boost::asio::ip::address_v6>(
      {boost::asio::ip::make_address_v6("2001:db8::1")});
  const auto both = run_awaitable(host_addresses(dns, "Both.Example."));
  EXPECT_EQ(both.state, status::ok);
  EXPECT_EQ(both.records,
            (std::vector<boost::asio::ip::address>{boost::asio::ip::make_address("192.0.2.1"),
                                                   boost::asio::ip::make_address("2001:db8::1")}));

  // One family failing temporarily does not hide the other's addresses.
  dns.a_answers["half.example"] =
      fake_resolver::failed<boost::asio::ip::address_v4>(status::temporary, "timeout");
  dns.aaaa_answers["half.example"] = fake_resolver::ok<boost::asio::ip::address_v6>(
      {boost::asio::ip::make_address_v6("2001:db8::2")});
  const auto half = run_awaitable(host_addresses(dns, "half.example"));
  EXPECT_EQ(half.state, status::ok);
  EXPECT_EQ(half.records.size(), 1u);
}

TEST(host_addresses, temporary_only_when_nothing_found) {
  fake_resolver dns;
  dns.a_answers["t.example"] =
      fake_resolver::failed<boost::asio::ip::address_v4>(status::temporary, "SERVFAIL");
  dns.aaaa_answers["t.example"] =
      fake_resolver::failed<boost::asio::ip::address_v6>(status::nodata);
  EXPECT_EQ(run_awaitable(host_addresses(dns, "t.example")).state, status::temporary);

  dns.a_answers["n.example"] = fake_resolver::failed<boost::asio::ip::address_v4>(status::nodata);
  dns.aaaa_answers["n.example"] =
      fake_resolver::failed<boost::asio::ip::address_v6>(status::nodata);
  EXPECT_EQ(run_awaitable(host_addresses(dns, "n.example")).state, status::nodata);

  EXPECT_EQ(run_awaitable(host_addresses(dns, "gone.example")).state, status::nxdomain);
}

}  // namespace
}  // namespace im2k::dns
