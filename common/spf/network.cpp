#include "common/spf/network.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace im2k::spf {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <std::size_t N>
bool prefix_equal(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                  int prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i, prefix -= 8) {
    const unsigned mask = prefix >= 8 ? 0xffu : (0xffu << (8 - prefix)) & 0xffu;
    if ((a[i] & mask) != (b[i] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<boost::asio::ip::address_v4> parse_ip4_network(std::string_view text) {
  boost::asio::ip::address_v4::bytes_type bytes{};
  std::size_t start = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t dot = text.find('.', start);
    const bool last = i == 3;
    if (last != (dot == std::string_view::npos)) {
      return std::nullopt;
    }
    const std::string_view part = text.substr(start, last ? std::string_view::npos : dot - start);
    const auto value = parse_cidr_length(part, 255);  // same rules: digits, no leading zero
    if (!value) {
      return std::nullopt;
    }
    bytes[i] = static_cast<unsigned char>(*value);
    start = dot + 1;
  }
  return boost::asio::ip::address_v4(bytes);
}

std::optional<boost::asio::ip::address_v6> parse_ip6_network(std::string_view text) {
  // make_address_v6 would accept a "%zone" suffix; a record has no business naming one.
  if (text.empty() || text.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v6(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  return address;
}

std::optional<int> parse_cidr_length(std::string_view digits, int max) {
  if (!all_digits(digits) || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) {
    return std::nullopt;
  }
  int value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
  }
  if (value > max) {
    return std::nullopt;
  }
  return value;
}

bool in_network(const boost::asio::ip::address& ip, const boost::asio::ip::address& network,
                int prefix) {
  if (ip.is_v4() && network.is_v4()) {
    return prefix_equal(ip.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
  }
  if (ip.is_v6() && network.is_v6()) {
    return prefix_equal(ip.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
  }
  return false;
}

}  // namespace im2k::spf
