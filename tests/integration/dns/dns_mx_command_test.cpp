// `im2k dns mx` run as a program against unbound: its output and exit status.
#include <gtest/gtest.h>

#include "tests/integration/dns/zones.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/udp_black_hole.hpp"
#include "tests/support/unbound_server.hpp"

namespace im2k::test {
namespace {

class dns_mx_command : public ::testing::Test {
 protected:
  dns_mx_command() : dns_(dir_.path(), dns_test_zones(black_hole_.port())) {}

  command_result mx(std::vector<std::string> args) {
    std::vector<std::string> argv = {std::string(IM2K_BIN_DIR) + "/im2k", "dns", "mx"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {}, std::chrono::seconds(30));
  }

  temp_dir dir_;
  udp_black_hole black_hole_;
  unbound_server dns_;
};

TEST_F(dns_mx_command, prints_hosts_in_order) {
  const auto r = mx({"--server", dns_.server(), "dnstest.test"});
  EXPECT_EQ(r.out, "mx1.dnstest.test\nmx2.dnstest.test\nmx3.other.test\n");
  EXPECT_EQ(r.exit_status, 0) << r.err;
}

TEST_F(dns_mx_command, null_mx) {
  const auto r = mx({"--server", dns_.server(), "nullmx.dnstest.test"});
  EXPECT_EQ(r.out, "nullmx.dnstest.test has a null MX: it accepts no mail (permanent)\n");
  EXPECT_EQ(r.exit_status, 1) << r.err;
}

TEST_F(dns_mx_command, no_mx) {
  const auto nodata = mx({"--server", dns_.server(), "host.dnstest.test"});
  EXPECT_EQ(nodata.out, "host.dnstest.test has no MX record: it receives no mail (permanent)\n");
  EXPECT_EQ(nodata.exit_status, 1) << nodata.err;
  const auto nx = mx({"--server", dns_.server(), "nope.dnstest.test"});
  EXPECT_EQ(nx.out, "nope.dnstest.test has no MX record: it receives no mail (permanent)\n");
  EXPECT_EQ(nx.exit_status, 1) << nx.err;
}

TEST_F(dns_mx_command, not_a_valid_domain) {
  const auto r = mx({"--server", dns_.server(), "[127.0.0.1]"});
  EXPECT_EQ(r.out, "[127.0.0.1] is not a valid domain: address literal (permanent)\n");
  EXPECT_EQ(r.exit_status, 1) << r.err;
}

TEST_F(dns_mx_command, timeout_is_temporary) {
  const auto r =
      mx({"--server", black_hole_.server(), "--timeout", "200", "--tries", "2", "dnstest.test"});
  EXPECT_EQ(r.out, "dnstest.test could not be resolved: timeout after 2 tries (temporary)\n");
  EXPECT_EQ(r.exit_status, 75) << r.err;
}

TEST_F(dns_mx_command, usage_errors_exit_2) {
  EXPECT_EQ(mx({}).exit_status, 2);
  const auto bad_server = mx({"--server", "not-an-address", "dnstest.test"});
  EXPECT_EQ(bad_server.exit_status, 2);
  EXPECT_NE(bad_server.err.find("bad DNS server"), std::string::npos) << bad_server.err;
}

}  // namespace
}  // namespace im2k::test
