#include "common/net/source_key.hpp"

#include <algorithm>

namespace im2k::net {

boost::asio::ip::address source_key(const boost::asio::ip::address& address) {
  if (!address.is_v6()) {
    return address;
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
  }
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes);
}

}  // namespace im2k::net
