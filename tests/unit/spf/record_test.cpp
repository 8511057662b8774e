// Record parsing and CIDR edge cases (RFC 7208 sections 4.5, 4.6, 5.6).
#include <string>

#include <gtest/gtest.h>

#include "common/spf/network.hpp"
#include "common/spf/record.hpp"

namespace im2k::spf {
namespace {

using boost::asio::ip::make_address;

std::optional<mechanism> only_mechanism(const std::string& text) {
  const record_parse parsed = parse_record("v=spf1 " + text);
  if (!parsed.value || parsed.value->mechanisms.size() != 1) {
    return std::nullopt;
  }
  return parsed.value->mechanisms.front();
}

bool parses(const std::string& text) {
  return parse_record(text).value.has_value();
}

TEST(spf_record, version_selection) {
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_TRUE(is_spf_record("v=spf1 -all"));
  EXPECT_TRUE(is_spf_record("V=SpF1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf10"));
  EXPECT_FALSE(is_spf_record("v=spf1mx"));
  EXPECT_FALSE(is_spf_record("v=spf1\t-all"));
  EXPECT_FALSE(is_spf_record(" v=spf1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf"));
}

TEST(spf_record, qualifiers_and_names_ignore_case) {
  const record_parse parsed = parse_record("v=spf1 +A -MX ~Ip4:1.2.3.4 ?ALL");
  ASSERT_TRUE(parsed.value) << parsed.error;
  const auto& m = parsed.value->mechanisms;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].kind, mechanism_kind::a);
  EXPECT_EQ(m[0].qualifier, result::pass);
  EXPECT_EQ(m[1].kind, mechanism_kind::mx);
  EXPECT_EQ(m[1].qualifier, result::fail);
  EXPECT_EQ(m[2].kind, mechanism_kind::ip4);
  EXPECT_EQ(m[2].qualifier, result::softfail);
  EXPECT_EQ(m[3].kind, mechanism_kind::all);
  EXPECT_EQ(m[3].qualifier, result::neutral);
}

TEST(spf_record, ip4_cidr_edges) {
  auto m = only_mechanism("ip4:1.2.3.4");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr4, 32);
  m = only_mechanism("ip4:1.2.3.4/0");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr4, 0);
  m = only_mechanism("ip4:1.2.3.4/32");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr4, 32);
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.4/33"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.4/032"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.4/"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.4//32"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.4/-1"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3"));
  EXPECT_FALSE(only_mechanism("ip4:01.2.3.4"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.256"));
  EXPECT_FALSE(only_mechanism("ip4:1.2.3.4:8080"));
  EXPECT_FALSE(only_mechanism("ip4"));
  EXPECT_FALSE(only_mechanism("ip4:::1"));
}

TEST(spf_record, ip6_cidr_edges) {
  auto m = only_mechanism("ip6:2001:db8::/32");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr6, 32);
  m = only_mechanism("ip6:::1.1.1.1/0");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr6, 0);
  m = only_mechanism("ip6:::1/128");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr6, 128);
  EXPECT_FALSE(only_mechanism("ip6:::1/129"));
  EXPECT_FALSE(only_mechanism("ip6:::1//33"));
  EXPECT_FALSE(only_mechanism("ip6::CAFE::BABE"));
  EXPECT_FALSE(only_mechanism("ip6:fe80::1%eth0"));
  EXPECT_FALSE(only_mechanism("ip6:1.2.3.4"));
}

TEST(spf_record, dual_cidr_lengths) {
  auto m = only_mechanism("a/24//64");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->domain);
  EXPECT_EQ(m->cidr4, 24);
  EXPECT_EQ(m->cidr6, 64);
  m = only_mechanism("a//0");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cidr4, 32);
  EXPECT_EQ(m->cidr6, 0);
  m = only_mechanism("mx:foo.example.com/24//64");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->domain);
  EXPECT_EQ(m->domain->text, "foo.example.com");
  EXPECT_EQ(m->cidr4, 24);
  EXPECT_EQ(m->cidr6, 64);
  m = only_mechanism("a:foo:bar/baz.example.com");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->domain->text, "foo:bar/baz.example.com");
  EXPECT_FALSE(only_mechanism("a/24/64"));
  EXPECT_FALSE(only_mechanism("a/33"));
  EXPECT_FALSE(only_mechanism("a//129"));
  EXPECT_FALSE(only_mechanism("a:"));
  EXPECT_FALSE(only_mechanism("a:foo.example.com/"));
}

TEST(spf_record, mechanism_syntax) {
  EXPECT_FALSE(only_mechanism("all."));
  EXPECT_FALSE(only_mechanism("all:foo.example.com"));
  EXPECT_FALSE(only_mechanism("all/8"));
  EXPECT_FALSE(only_mechanism("include"));
  EXPECT_FALSE(only_mechanism("include:"));
  EXPECT_FALSE(only_mechanism("include:example.com/24"));
  EXPECT_FALSE(only_mechanism("exists"));
  EXPECT_FALSE(only_mechanism("exists:example.com/24"));
  EXPECT_FALSE(only_mechanism("ptr/0"));
  EXPECT_FALSE(only_mechanism("ptr:"));
  EXPECT_TRUE(only_mechanism("ptr"));
  EXPECT_TRUE(only_mechanism("ptr:example.com"));
  EXPECT_FALSE(only_mechanism("foo"));
  EXPECT_FALSE(only_mechanism("redirect:example.com"));
}

TEST(spf_record, modifiers) {
  const record_parse parsed =
      parse_record("v=spf1 exp=exp.%{d} -all redirect=_spf.example.com moo.cow-far_out=x:y/z");
  ASSERT_TRUE(parsed.value) << parsed.error;
  ASSERT_TRUE(parsed.value->explanation);
  EXPECT_EQ(parsed.value->explanation->text, "exp.%{d}");
  ASSERT_TRUE(parsed.value->redirect);
  EXPECT_EQ(parsed.value->redirect->text, "_spf.example.com");
  EXPECT_EQ(parsed.value->mechanisms.size(), 1u);

  EXPECT_FALSE(parses("v=spf1 redirect=a.example.com redirect=b.example.com"));
  EXPECT_FALSE(parses("v=spf1 exp=a.example.com exp=b.example.com"));
  EXPECT_FALSE(parses("v=spf1 exp= -all"));
  EXPECT_FALSE(parses("v=spf1 redirect="));
  EXPECT_FALSE(parses("v=spf1 1up=foo"));
  EXPECT_FALSE(parses("v=spf1 =all"));
  EXPECT_FALSE(parses("v=spf1 foo=%abc"));
  EXPECT_TRUE(parses("v=spf1 default=+"));
  EXPECT_TRUE(parses("v=spf1   -all  "));
  EXPECT_TRUE(parses("v=spf1"));
  // A syntax error after the term that would match still rejects the record.
  EXPECT_FALSE(parses("v=spf1 ip4:1.2.3.4 -all moo"));
}

TEST(spf_record, cidr_matching) {
  const auto net4 = make_address("192.0.2.0");
  EXPECT_TRUE(in_network(make_address("192.0.2.200"), net4, 24));
  EXPECT_FALSE(in_network(make_address("192.0.3.1"), net4, 24));
  EXPECT_TRUE(in_network(make_address("192.0.3.1"), net4, 23));
  EXPECT_TRUE(in_network(make_address("10.9.8.7"), net4, 0));
  EXPECT_FALSE(in_network(make_address("192.0.2.1"), net4, 32));
  EXPECT_TRUE(in_network(make_address("192.0.2.0"), net4, 32));
  EXPECT_TRUE(in_network(make_address("192.0.2.1"), make_address("192.0.2.0"), 31));
  EXPECT_FALSE(in_network(make_address("192.0.2.2"), make_address("192.0.2.0"), 31));

  const auto net6 = make_address("cafe:babe:8000::");
  EXPECT_TRUE(in_network(make_address("cafe:babe:ffff::1"), net6, 33));
  EXPECT_FALSE(in_network(make_address("cafe:babe:7fff::1"), net6, 33));
  EXPECT_TRUE(in_network(make_address("cafe:babe:7fff::1"), net6, 32));
  EXPECT_TRUE(in_network(make_address("::1"), net6, 0));
  // Families never match each other, even with /0.
  EXPECT_FALSE(in_network(make_address("1.2.3.4"), net6, 0));
  EXPECT_FALSE(in_network(make_address("::ffff:1.2.3.4"), make_address("1.2.3.4"), 0));
}

}  // namespace
}  // namespace im2k::spf
