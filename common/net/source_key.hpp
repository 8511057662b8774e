// Which connections count against one source for the per-address cap of [T-11]: an IPv4
// address by itself (an IPv4-mapped IPv6 address as that IPv4 address), an IPv6 address by its
// /64, since one end site is usually given a whole /64 and can pick any address in it.
#pragma once

#include <boost/asio/ip/address.hpp>

namespace im2k::net {

boost::asio::ip::address source_key(const boost::asio::ip::address& address);

}  // namespace im2k::net
