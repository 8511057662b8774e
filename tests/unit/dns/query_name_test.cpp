#include "common/dns/query_name.hpp"

#include <string>

#include <gtest/gtest.h>

namespace im2k::dns {
namespace {

TEST(query_name, a_host_name_is_the_same_in_both_forms) {
  const auto q = make_query_name("mx.Alpha.test");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->canonical, "mx.alpha.test");
  EXPECT_EQ(q->cares, "mx.alpha.test");
}

// The canonical form is what wire::read_name writes for the answer's owner; the c-ares form is
// read by ares_create_query, which knows only "\X".
TEST(query_name, octets_a_macro_may_insert) {
  const auto q = make_query_name("macro%percent  space%20url-space.example.com");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->canonical, "macro%percent\\032\\032space%20url-space.example.com");
  EXPECT_EQ(q->cares, "macro%percent  space%20url-space.example.com");

  const auto quote = make_query_name("jumpin' jupiter");
  ASSERT_TRUE(quote);
  EXPECT_EQ(quote->canonical, "jumpin'\\032jupiter");
  EXPECT_EQ(quote->cares, "jumpin' jupiter");
}

TEST(query_name, escapes_are_decoded_then_written_in_each_form) {
  const auto back = make_query_name("back\\\\slash.test");  // text: back\\slash.test
  ASSERT_TRUE(back);
  EXPECT_EQ(back->canonical, "back\\092slash.test");
  EXPECT_EQ(back->cares, "back\\\\slash.test");
  const auto same = make_query_name("back\\092slash.test");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->canonical, back->canonical);

  const auto dot = make_query_name("a\\.b.test");  // one label "a.b"
  ASSERT_TRUE(dot);
  EXPECT_EQ(dot->canonical, "a\\046b.test");
  EXPECT_EQ(dot->cares, "a\\.b.test");

  const auto upper = make_query_name("\\065\\Bc.test");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->canonical, "abc.test");
  EXPECT_EQ(upper->cares, "abc.test");

  const auto high = make_query_name("caf\\233.test");
  ASSERT_TRUE(high);
  EXPECT_EQ(high->canonical, "caf\\233.test");
  EXPECT_EQ(high->cares, "caf\xe9.test");
}

TEST(query_name, names_that_cannot_be_asked) {
  EXPECT_FALSE(make_query_name(""));
  EXPECT_FALSE(make_query_name("."));
  EXPECT_FALSE(make_query_name(".example.com"));
  EXPECT_FALSE(make_query_name("a..example.com"));
  EXPECT_FALSE(make_query_name("example.com."));  // the resolver strips it before
  EXPECT_FALSE(make_query_name(std::string("a\0b.com", 7)));
  EXPECT_FALSE(make_query_name("a\\000b.com"));
  EXPECT_FALSE(make_query_name("a\\256b.com"));
  EXPECT_FALSE(make_query_name("a\\25"));
  EXPECT_FALSE(make_query_name("a\\"));
  EXPECT_FALSE(make_query_name(std::string(64, 'a') + ".com"));
  // An escape counts as the one octet it stands for.
  EXPECT_TRUE(make_query_name(std::string(62, 'a') + "\\032.com"));
  EXPECT_FALSE(make_query_name(std::string(63, 'a') + "\\032.com"));
}

TEST(query_name, at_most_253_octets) {
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_TRUE(make_query_name(name253));
  EXPECT_FALSE(make_query_name(name253 + "b"));
}

}  // namespace
}  // namespace im2k::dns
