#include "common/net/server_settings.hpp"

#include <algorithm>

namespace im2k::net {

duration body_deadline(duration base, std::uint64_t length, std::uint64_t min_body_rate) {
  const std::uint64_t rate = min_body_rate == 0 ? 1 : min_body_rate;
  // Milliseconds, rounded up, so that a small body still gets a little extra time.
  const std::uint64_t extra_ms = (length * 1000 + rate - 1) / rate;
  return base + std::chrono::milliseconds(extra_ms);
}

bool certificate_names_user(const peer_info& peer, std::string_view address) {
  const auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
  const auto same = [&](char a, char b) {
    return lower(static_cast<unsigned char>(a)) == lower(static_cast<unsigned char>(b));
  };
  return !address.empty() &&
         std::any_of(peer.email_names.begin(), peer.email_names.end(), [&](const std::string& n) {
           return std::equal(n.begin(), n.end(), address.begin(), address.end(), same);
         });
}

std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace im2k::net
