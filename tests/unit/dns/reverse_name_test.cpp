#include <gtest/gtest.h>

#include "common/dns/resolver.hpp"

namespace im2k::dns {
namespace {

TEST(reverse_name, ipv4) {
  EXPECT_EQ(reverse_name(boost::asio::ip::make_address("192.0.2.10")), "10.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverse_name(boost::asio::ip::make_address("127.0.0.1")), "1.0.0.127.in-addr.arpa");
}

TEST(reverse_name, ipv6_nibbles) {
  EXPECT_EQ(reverse_name(boost::asio::ip::make_address("2001:db8::567:89ab")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(reverse_name(boost::asio::ip::make_address("::1")),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
}

TEST(to_string, names_every_status) {
  EXPECT_EQ(to_string(status::ok), "ok");
  EXPECT_EQ(to_string(status::nxdomain), "nxdomain");
  EXPECT_EQ(to_string(status::nodata), "nodata");
  EXPECT_EQ(to_string(status::temporary), "temporary");
}

}  // namespace
}  // namespace im2k::dns
