// [T-11]: which connections share one per-source cap.
#include "common/net/source_key.hpp"

#include <gtest/gtest.h>

namespace im2k::net {
namespace {

using boost::asio::ip::make_address;

TEST(SourceKey, Ipv4IsItself) {
  EXPECT_EQ(source_key(make_address("192.0.2.7")), make_address("192.0.2.7"));
  EXPECT_NE(source_key(make_address("192.0.2.7")), source_key(make_address("192.0.2.8")));
}

TEST(SourceKey, Ipv6CountsByItsSlash64) {
  EXPECT_EQ(source_key(make_address("2001:db8:1:2:aaaa::1")), make_address("2001:db8:1:2::"));
  EXPECT_EQ(source_key(make_address("2001:db8:1:2::1")),
            source_key(make_address("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_NE(source_key(make_address("2001:db8:1:2::1")),
            source_key(make_address("2001:db8:1:3::1")));
}

TEST(SourceKey, Ipv4MappedIsTheIpv4Address) {
  EXPECT_EQ(source_key(make_address("::ffff:192.0.2.7")), make_address("192.0.2.7"));
  EXPECT_NE(source_key(make_address("::ffff:192.0.2.7")),
            source_key(make_address("::ffff:192.0.2.8")));
}

}  // namespace
}  // namespace im2k::net
