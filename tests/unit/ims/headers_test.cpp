// [P-13] trace fields, [S-6]/[S-7] header checks and From: extraction, forged
// Authentication-Results removal.
#include <gtest/gtest.h>

#include "ims/headers.hpp"

namespace im2k::ims {
namespace {

TEST(headers, trace_fields_are_exactly_those_of_the_spec) {
  trace_values v;
  v.ims_host = "mx.beta.test";
  v.sender = "alice@alpha.test";
  v.peer_host = "oms.alpha.test";
  v.address = boost::asio::ip::make_address("127.0.1.1");
  v.tls_version = "TLSv1.3";
  v.msg = "5xq3vkr2gq7ht4mzcw4ly6npda";
  v.when = 1795354477;  // Sun, 22 Nov 2026 13:34:37 +0000
  EXPECT_EQ(trace_fields(v),
            "Authentication-Results: mx.beta.test;\r\n"
            "\tspf=pass smtp.mailfrom=alice@alpha.test smtp.helo=oms.alpha.test;\r\n"
            "\tx-im2k-tls=pass policy.cert-host=oms.alpha.test policy.tls-version=TLSv1.3\r\n"
            "Received: from oms.alpha.test (oms.alpha.test [127.0.1.1])\r\n"
            "\tby mx.beta.test with IM2K id 5xq3vkr2gq7ht4mzcw4ly6npda; "
            "Sun, 22 Nov 2026 13:34:37 +0000\r\n");
}

TEST(headers, dates_are_rfc5322_in_utc) {
  EXPECT_EQ(format_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(format_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(headers, address_literals) {
  using boost::asio::ip::make_address;
  EXPECT_EQ(address_literal(make_address("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(address_literal(make_address("2001:db8::1")), "IPv6:2001:db8::1");
  EXPECT_EQ(address_literal(make_address("::ffff:192.0.2.7")), "192.0.2.7");
}

std::string from_of(std::string_view value) {
  auto a = parse_from_value(value);
  return a ? a->to_string() : "<none>";
}

TEST(headers, from_value_bare_and_with_display_name) {
  EXPECT_EQ(from_of(" alice@alpha.test"), "alice@alpha.test");
  EXPECT_EQ(from_of(" Alice <alice@Alpha.Test>"), "alice@alpha.test");
  EXPECT_EQ(from_of(" <alice@alpha.test>"), "alice@alpha.test");
  EXPECT_EQ(from_of(" \"Smith, Alice: CEO\" <alice@alpha.test>"), "alice@alpha.test");
}

TEST(headers, from_value_is_unfolded) {
  EXPECT_EQ(from_of(" Alice\r\n <alice@alpha.test>\r\n"), "alice@alpha.test");
  EXPECT_EQ(from_of("\r\n\talice@alpha.test\r\n"), "alice@alpha.test");
}

TEST(headers, encoded_words_are_not_decoded) {
  // An encoded word can look like anything once decoded; only the address counts.
  EXPECT_EQ(from_of(" =?UTF-8?B?QWxpY2UgPGV2ZUBldmlsLnRlc3Q+?= <alice@alpha.test>"),
            "alice@alpha.test");
  EXPECT_EQ(from_of(" =?UTF-8?Q?eve=40evil.test?= <alice@alpha.test>"), "alice@alpha.test");
}

TEST(headers, from_value_refusals) {
  EXPECT_EQ(from_of(""), "<none>");
  EXPECT_EQ(from_of(" alice@alpha.test, bob@alpha.test"), "<none>");
  EXPECT_EQ(from_of(" friends: alice@alpha.test;"), "<none>");
  EXPECT_EQ(from_of(" eve@evil.test <alice@alpha.test>"), "<none>");
  EXPECT_EQ(from_of(" alice@alpha.test (Alice)"), "<none>");
  EXPECT_EQ(from_of(" (Alice) <alice@alpha.test>"), "<none>");
  EXPECT_EQ(from_of(" Alice <alice@[127.0.0.1]>"), "<none>");
  EXPECT_EQ(from_of(" \"unterminated <alice@alpha.test>"), "<none>");
}

TEST(headers, authserv_id) {
  EXPECT_EQ(authserv_id_of(" MX.Beta.Test; spf=pass"), "mx.beta.test");
  EXPECT_EQ(authserv_id_of(" (comment) mx.beta.test 1; none"), "mx.beta.test");
  EXPECT_EQ(authserv_id_of("\r\n\tmx.beta.test;\r\n\tspf=pass\r\n"), "mx.beta.test");
}

TEST(headers, section_keeps_fields_and_removes_our_forged_verdicts) {
  const std::string section =
      "Authentication-Results: mx.beta.test;\r\n\tspf=pass smtp.mailfrom=x@alpha.test\r\n"
      "From: Alice <alice@alpha.test>\r\n"
      "authentication-results: other.test; spf=fail\r\n"
      "Subject: hi\r\n"
      "Authentication-Results: MX.BETA.TEST; dkim=pass\r\n";
  auto v = check_header_section(section, "mx.beta.test");
  ASSERT_FALSE(v.refusal) << v.reason;
  ASSERT_TRUE(v.from);
  EXPECT_EQ(v.from->to_string(), "alice@alpha.test");
  EXPECT_EQ(v.kept,
            "From: Alice <alice@alpha.test>\r\n"
            "authentication-results: other.test; spf=fail\r\n"
            "Subject: hi\r\n");
}

TEST(headers, section_refusals) {
  auto refused = [](std::string_view section) {
    return check_header_section(section, "mx.beta.test").refusal == proto::errc::bad_request;
  };
  EXPECT_TRUE(refused("Subject: no from\r\n"));
  EXPECT_TRUE(refused("From: a@alpha.test\r\nfrom: b@alpha.test\r\n"));
  EXPECT_TRUE(refused(" continuation first\r\nFrom: a@alpha.test\r\n"));
  EXPECT_TRUE(refused("From: a@alpha.test\r\nno colon here\r\n"));
  EXPECT_TRUE(refused("From: a@alpha.test\r\nBad Name: x\r\n"));
  EXPECT_TRUE(refused("From: a@alpha.test\r\nX: " + std::string(996, 'a') + "\r\n"));
  EXPECT_TRUE(refused(""));
  EXPECT_FALSE(refused("From: a@alpha.test\r\nX: " + std::string(995, 'a') + "\r\n"));
  EXPECT_FALSE(refused("FROM:a@alpha.test\r\n"));
}

}  // namespace
}  // namespace im2k::ims
