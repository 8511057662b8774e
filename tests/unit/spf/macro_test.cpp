// Macro expansion (RFC 7208 section 7): the section 7.4 examples and the syntax rules.
#include <string>

#include <gtest/gtest.h>

#include "common/spf/macro.hpp"

namespace im2k::spf {
namespace {

macro_values rfc_values(const char* ip) {
  macro_values v;
  v.sender = "strong-bad@email.example.com";
  v.local_part = "strong-bad";
  v.sender_domain = "email.example.com";
  v.domain = "email.example.com";
  v.ip = boost::asio::ip::make_address(ip);
  v.helo = "mx.example.org";
  v.receiver = "mx.example.net";
  v.timestamp = 1700000000;
  return v;
}

std::string expanded(const std::string& text, const macro_values& values,
                     macro_use use = macro_use::domain_spec) {
  const macro_parse parsed = parse_macro_string(text, use);
  if (!parsed.value) {
    return "ERROR: " + parsed.error;
  }
  return expand(*parsed.value, values);
}

bool valid(const std::string& text, macro_use use = macro_use::domain_spec) {
  return parse_macro_string(text, use).value.has_value();
}

struct example {
  const char* macro;
  const char* expansion;
};

// Section 7.4, with <sender> strong-bad@email.example.com and <ip> 192.0.2.3.
TEST(spf_macro, rfc7208_section_7_4_ipv4_examples) {
  const example examples[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
  };
  const macro_values values = rfc_values("192.0.2.3");
  for (const example& e : examples) {
    EXPECT_EQ(expanded(e.macro, values), e.expansion) << e.macro;
  }
}

TEST(spf_macro, rfc7208_section_7_4_ipv6_example) {
  const macro_values values = rfc_values("2001:db8::cb01");
  EXPECT_EQ(expanded("%{ir}.%{v}._spf.%{d2}", values),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  EXPECT_EQ(expanded("%{c}", values, macro_use::explanation), "2001:db8::cb01");
}

TEST(spf_macro, escapes_and_explanation_only_letters) {
  const macro_values values = rfc_values("192.0.2.3");
  EXPECT_EQ(expanded("a%%b%_c%-d.example.com", values), "a%b c%20d.example.com");
  EXPECT_EQ(expanded("%{c} %{r} %{t}", values, macro_use::explanation),
            "192.0.2.3 mx.example.net 1700000000");
  EXPECT_FALSE(valid("%{c}.example.com"));
  EXPECT_FALSE(valid("%{r}.example.com"));
  EXPECT_FALSE(valid("%{t}.example.com"));
  EXPECT_TRUE(valid("%{c}", macro_use::modifier_value));
  EXPECT_FALSE(valid("a b", macro_use::domain_spec));
  EXPECT_TRUE(valid("a b", macro_use::explanation));
}

TEST(spf_macro, upper_case_letters_are_url_escaped) {
  macro_values values = rfc_values("192.0.2.3");
  values.local_part = "~jack&jill=up-a_b3.c";
  EXPECT_EQ(expanded("%{L}", values, macro_use::explanation), "~jack%26jill%3Dup-a_b3.c");
  EXPECT_EQ(expanded("%{l}", values, macro_use::explanation), "~jack&jill=up-a_b3.c");
  EXPECT_EQ(url_escape("a b/\xc3\xa9"), "a%20b%2F%C3%A9");
}

TEST(spf_macro, transformers_and_delimiters) {
  macro_values values = rfc_values("192.0.2.3");
  values.local_part = "foo-bar+zip+quux";
  EXPECT_EQ(expanded("%{l2r+-}.example.com", values), "bar.foo.example.com");
  EXPECT_EQ(expanded("%{lr+-}.example.com", values), "quux.zip.bar.foo.example.com");
  EXPECT_EQ(expanded("%{l100}.example.com", values), "foo-bar+zip+quux.example.com");
  EXPECT_EQ(expanded("%{d99999999999999999999}", values), "email.example.com");
  EXPECT_EQ(expanded("%{D2}", values), "example.com");
}

TEST(spf_macro, syntax_errors) {
  EXPECT_FALSE(valid("%"));
  EXPECT_FALSE(valid("foo%.example.com"));
  EXPECT_FALSE(valid("%(ir).example.com"));
  EXPECT_FALSE(valid("%{x}.example.com"));
  EXPECT_FALSE(valid("%{d"));
  EXPECT_FALSE(valid("%{d2x}.example.com"));
  EXPECT_FALSE(valid("%{d0}.example.com"));  // the part count must not be zero
  EXPECT_FALSE(valid("%{}.example.com"));
  EXPECT_FALSE(valid("foo.example.com\x0d"));
  EXPECT_FALSE(valid("foo.\xef\xbb\xbf.example.com"));
  EXPECT_FALSE(valid("%abc", macro_use::modifier_value));
}

TEST(spf_macro, domain_spec_must_end_in_macro_or_top_label) {
  EXPECT_TRUE(valid("example.com"));
  EXPECT_TRUE(valid("example.com."));
  EXPECT_TRUE(valid("foo.example.xn--zckzah"));
  EXPECT_TRUE(valid("foo:bar/baz.example.com"));
  EXPECT_TRUE(valid("%{d}"));
  EXPECT_TRUE(valid("_spf.%{d}"));
  EXPECT_TRUE(valid("%{d}.example.com."));
  EXPECT_TRUE(valid("foo.%%"));  // "%%" is a macro-expand
  EXPECT_FALSE(valid(""));
  EXPECT_FALSE(valid("museum"));
  EXPECT_FALSE(valid("museum."));
  EXPECT_FALSE(valid("foo-bar"));
  EXPECT_FALSE(valid("abc.123"));
  EXPECT_FALSE(valid("111.222.33.44"));
  EXPECT_FALSE(valid("example.-com"));
  EXPECT_FALSE(valid("example.com-"));
  EXPECT_FALSE(valid("example.com:8080"));
  EXPECT_FALSE(valid("%{d}com"));
}

TEST(spf_macro, dot_format) {
  EXPECT_EQ(dot_format(boost::asio::ip::make_address("192.0.2.3")), "192.0.2.3");
  EXPECT_EQ(dot_format(boost::asio::ip::make_address("2001:db8::cb01")),
            "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
}

}  // namespace
}  // namespace im2k::spf
