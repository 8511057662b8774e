// [N-3] the source address among the host's A/AAAA, [D-7] SPF verdicts, [D-10] mapped IPv4.
#include <gtest/gtest.h>

#include "ims/designation.hpp"
#include "tests/support/fake_resolver.hpp"
#include "tests/support/run_awaitable.hpp"

namespace im2k::ims {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v4;
using boost::asio::ip::make_address_v6;
using test::fake_resolver;
using test::run_awaitable;

address_check source_check(fake_resolver& dns, const char* source) {
  return run_awaitable(check_source_address(dns, "oms.alpha.test", make_address(source)));
}

TEST(designation, the_source_address_must_be_one_of_the_hosts) {
  fake_resolver dns;
  dns.a_answers["oms.alpha.test"] =
      fake_resolver::ok<boost::asio::ip::address_v4>({make_address_v4("127.0.1.1")});
  dns.aaaa_answers["oms.alpha.test"] =
      fake_resolver::ok<boost::asio::ip::address_v6>({make_address_v6("2001:db8::1")});
  EXPECT_FALSE(source_check(dns, "127.0.1.1").refusal);
  EXPECT_FALSE(source_check(dns, "::ffff:127.0.1.1").refusal);
  EXPECT_FALSE(source_check(dns, "2001:db8::1").refusal);
  EXPECT_EQ(source_check(dns, "127.0.1.2").refusal, proto::errc::sender_not_designated);
}

TEST(designation, a_host_without_addresses_is_not_designated) {
  fake_resolver dns;  // NXDOMAIN for everything
  EXPECT_EQ(source_check(dns, "127.0.1.1").refusal, proto::errc::sender_not_designated);
}

TEST(designation, a_temporary_lookup_without_the_address_is_dns_temporary) {
  fake_resolver dns;
  dns.a_answers["oms.alpha.test"] =
      fake_resolver::failed<boost::asio::ip::address_v4>(dns::status::temporary, "SERVFAIL");
  dns.aaaa_answers["oms.alpha.test"] =
      fake_resolver::failed<boost::asio::ip::address_v6>(dns::status::nodata);
  EXPECT_EQ(source_check(dns, "127.0.1.1").refusal, proto::errc::dns_temporary);
}

TEST(designation, only_pass_designates) {
  fake_resolver dns;
  dns.txt_answers["alpha.test"] =
      fake_resolver::ok<std::string>({"v=spf1 ip4:127.0.1.1 ?ip4:127.0.1.2 -all"});
  auto check = [&](const char* ip) {
    return run_awaitable(
        check_sender(dns, make_address(ip), "alice@alpha.test", "oms.alpha.test", "mx.beta.test"));
  };
  auto pass = check("127.0.1.1");
  EXPECT_EQ(pass.result, spf::result::pass);
  EXPECT_FALSE(pass.refusal);
  EXPECT_FALSE(check("::ffff:127.0.1.1").refusal);
  auto neutral = check("127.0.1.2");
  EXPECT_EQ(neutral.result, spf::result::neutral);
  EXPECT_EQ(neutral.refusal, proto::errc::sender_not_designated);
  EXPECT_EQ(check("127.0.1.3").refusal, proto::errc::sender_not_designated);
}

}  // namespace
}  // namespace im2k::ims
