// The caps of [T-11] as one piece: per source (an IPv6 /64 as one source) and in all.
#include <gtest/gtest.h>

#include "common/net/connection_gate.hpp"

namespace im2k::net {
namespace {

boost::asio::ip::tcp::endpoint at(const char* address) {
  return {boost::asio::ip::make_address(address), 40000};
}

TEST(ConnectionGate, CapsEachSourceAndCountsAnIpv6Slash64AsOne) {
  connection_gate gate("test", 100, 2);
  auto a = gate.admit(at("2001:db8:1:2::1"));
  auto b = gate.admit(at("2001:db8:1:2:ffff::9"));  // same /64
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(gate.admit(at("2001:db8:1:2::77")));  // third from that /64
  EXPECT_TRUE(gate.admit(at("2001:db8:1:3::1")));    // another /64
  EXPECT_TRUE(gate.admit(at("192.0.2.1")));
  EXPECT_EQ(gate.open(), 4U);
  gate.release(*a);
  EXPECT_EQ(gate.open(), 3U);
  EXPECT_TRUE(gate.admit(at("2001:db8:1:2::77")));  // room again
}

TEST(ConnectionGate, CapsTheTotalWhateverTheSource) {
  connection_gate gate("test", 2, 10);
  auto a = gate.admit(at("127.0.0.1"));
  ASSERT_TRUE(a);
  ASSERT_TRUE(gate.admit(at("127.0.0.2")));
  EXPECT_FALSE(gate.admit(at("127.0.0.3")));
  EXPECT_EQ(gate.open(), 2U);
  gate.release(*a);
  EXPECT_TRUE(gate.admit(at("127.0.0.3")));
}

}  // namespace
}  // namespace im2k::net
