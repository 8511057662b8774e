#include "common/dns/resolver.hpp"

namespace im2k::dns {

std::string_view to_string(status s) {
  switch (s) {
    case status::ok:
      return "ok";
    case status::nxdomain:
      return "nxdomain";
    case status::nodata:
      return "nodata";
    case status::temporary:
      return "temporary";
  }
  return "temporary";
}

std::string reverse_name(const boost::asio::ip::address& address) {
  std::string out;
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
      out += std::to_string(*it);
      out += '.';
    }
    return out + "in-addr.arpa";
  }
  static constexpr char hex[] = "0123456789abcdef";
  const auto bytes = address.to_v6().to_bytes();
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    out += hex[*it & 0x0f];
    out += '.';
    out += hex[*it >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

}  // namespace im2k::dns
