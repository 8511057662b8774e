// The address forms of the ip4 and ip6 mechanisms and CIDR matching (RFC 7208 section 5.6).
#pragma once

#include <optional>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace im2k::spf {

// ip4-network: exactly four decimal octets without leading zeros ("1.2.3" is refused).
std::optional<boost::asio::ip::address_v4> parse_ip4_network(std::string_view text);

// ip6-network: an RFC 4291 section 2.2 address (no zone index).
std::optional<boost::asio::ip::address_v6> parse_ip6_network(std::string_view text);

// The digits of a CIDR length: no sign, no leading zero, at most `max`.
std::optional<int> parse_cidr_length(std::string_view digits, int max);

// Whether `ip` lies in network/prefix. Addresses of different families never match.
bool in_network(const boost::asio::ip::address& ip, const boost::asio::ip::address& network,
                int prefix);

}  // namespace im2k::spf
