// The whole RFC 7208 test suite over real DNS: for each scenario a real unbound on loopback
// serves its zone data (suite_zone), and every case runs check_host() through the c-ares
// resolver. A case that asks a question unbound cannot answer as the suite means is counted as
// skipped, with the reason printed; every other case must conform. The counts are printed.
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "common/dns/cares_resolver.hpp"
#include "tests/integration/spf/recording_resolver.hpp"
#include "tests/integration/spf/suite_zone.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/udp_black_hole.hpp"
#include "tests/support/unbound_server.hpp"
#include "tests/unit/spf/rfc7208_suite.hpp"

namespace im2k::spf::test {
namespace {

using namespace std::chrono_literals;

struct tally {
  int passed = 0;
  int skipped = 0;
  int failed = 0;
};

// Runs one case; "" when it conforms, the skip reason in `skip` when it cannot be run.
std::string run_case(const suite_case& c, const suite_zone& zone,
                     const im2k::test::unbound_server& dns, std::optional<std::string>& skip) {
  boost::asio::io_context io;
  // A fresh resolver per case: nothing cached from another case. One short try: the TIMEOUT
  // names time out after 500 ms, well inside check_host's 20 s limit.
  dns::cares_resolver cares(
      io.get_executor(),
      dns::resolver_options{.servers = {dns.server()}, .timeout = 500ms, .tries = 1});
  recording_resolver resolver(cares);
  const evaluation got = im2k::test::run_awaitable(io, check_host(resolver, input_of(c)), 60s);
  for (const std::string& name : resolver.names()) {
    if (auto reason = zone.skip_reason(name)) {
      skip = std::move(reason);
      return "";
    }
  }
  return nonconformance(c, got);
}

TEST(rfc7208_over_unbound, every_case_that_unbound_can_serve_conforms) {
  const std::vector<suite_case> cases = read_rfc7208_suite();
  ASSERT_EQ(cases.size(), rfc7208_case_count);

  std::vector<std::string> scenarios;  // in the suite's order
  std::map<std::string, std::vector<const suite_case*>> by_scenario;
  for (const suite_case& c : cases) {
    if (by_scenario[c.scenario].empty()) {
      scenarios.push_back(c.scenario);
    }
    by_scenario[c.scenario].push_back(&c);
  }

  im2k::test::udp_black_hole black_hole;
  tally total;
  for (const std::string& scenario : scenarios) {
    const std::vector<const suite_case*>& members = by_scenario[scenario];
    const suite_zone zone(members.front()->zonedata, black_hole.port());
    im2k::test::temp_dir dir;
    im2k::test::unbound_server dns(dir.path(), zone.options());
    tally here;
    for (const suite_case* c : members) {
      std::optional<std::string> skip;
      const std::string problem = run_case(*c, zone, dns, skip);
      if (skip) {
        ++here.skipped;
        std::cout << "SKIP  " << scenario << ": " << c->name << ": " << *skip << "\n";
      } else if (problem.empty()) {
        ++here.passed;
      } else {
        ++here.failed;
        ADD_FAILURE() << scenario << ": " << c->name << ": " << problem;
      }
    }
    std::cout << scenario << ": " << here.passed << " passed, " << here.skipped << " skipped, "
              << here.failed << " failed\n";
    total.passed += here.passed;
    total.skipped += here.skipped;
    total.failed += here.failed;
  }
  std::cout << "RFC 7208 suite over unbound: " << total.passed << " passed, " << total.skipped
            << " skipped, " << total.failed << " failed, of " << cases.size() << "\n";
  EXPECT_EQ(total.failed, 0);
  EXPECT_EQ(total.passed + total.skipped + total.failed, static_cast<int>(cases.size()));
}

// The one thing suite_zone cannot say: a name below a TIMEOUT name that the data does not give.
TEST(rfc7208_over_unbound, questions_below_a_timeout_name_are_skipped) {
  const YAML::Node zonedata = YAML::Load(R"(
slow.example.com:
  - TIMEOUT
given.slow.example.com:
  - A: 192.0.2.1
fine.example.com:
  - TXT: v=spf1 -all
)");
  const suite_zone zone(zonedata, 9);
  EXPECT_FALSE(zone.skip_reason("slow.example.com"));
  EXPECT_FALSE(zone.skip_reason("Given.Slow.example.com."));
  EXPECT_FALSE(zone.skip_reason("x.given.slow.example.com"));  // NXDOMAIN in given's own zone
  EXPECT_FALSE(zone.skip_reason("x.fine.example.com"));
  EXPECT_FALSE(zone.skip_reason("nowhere.example.org"));
  const auto reason = zone.skip_reason("other.slow.example.com");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("slow.example.com"), std::string::npos) << *reason;
}

}  // namespace
}  // namespace im2k::spf::test
