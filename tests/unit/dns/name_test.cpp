#include "common/dns/name.hpp"

#include <string>

#include <gtest/gtest.h>

namespace im2k::dns {
namespace {

TEST(host_name, accepts_ldh_names) {
  EXPECT_TRUE(is_valid_host_name("example.com"));
  EXPECT_TRUE(is_valid_host_name("mx-1.Alpha.TEST"));
  EXPECT_TRUE(is_valid_host_name("a.b"));
  EXPECT_TRUE(is_valid_host_name("123.example.com"));
  EXPECT_TRUE(is_valid_host_name("xn--bcher-kva.example"));
}

TEST(host_name, rejects_what_is_not_a_host_name) {
  EXPECT_FALSE(is_valid_host_name(""));
  EXPECT_FALSE(is_valid_host_name("localhost"));     // at least one dot
  EXPECT_FALSE(is_valid_host_name("example.com."));  // normalize first
  EXPECT_FALSE(is_valid_host_name(".example.com"));
  EXPECT_FALSE(is_valid_host_name("a..example.com"));
  EXPECT_FALSE(is_valid_host_name("-a.example.com"));
  EXPECT_FALSE(is_valid_host_name("a-.example.com"));
  EXPECT_FALSE(is_valid_host_name("a_b.example.com"));
  EXPECT_FALSE(is_valid_host_name("a b.example.com"));
  EXPECT_FALSE(is_valid_host_name("[1.2.3.4]"));
  EXPECT_FALSE(is_valid_host_name("1.2.3.4"));  // all-numeric last label
  EXPECT_FALSE(is_valid_host_name("::1"));
  EXPECT_FALSE(is_valid_host_name(std::string("a\0b.com", 7)));
}

TEST(host_name, label_and_total_length_limits) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(is_valid_host_name(label63 + ".com"));
  EXPECT_FALSE(is_valid_host_name(label63 + "a.com"));
  // Labels of 63, 63, 63 and 61 octets and 3 dots: 253 octets exactly.
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_TRUE(is_valid_host_name(name253));
  EXPECT_FALSE(is_valid_host_name("c" + name253));
}

TEST(host_name, normalize_lowercases_and_strips_one_trailing_dot) {
  EXPECT_EQ(normalize("Mx.Example.COM."), "mx.example.com");
  EXPECT_EQ(normalize("mx.example.com"), "mx.example.com");
  EXPECT_EQ(normalize("a.b.."), "a.b.");
  EXPECT_EQ(normalize("."), "");
  EXPECT_EQ(normalize(""), "");
}

}  // namespace
}  // namespace im2k::dns
