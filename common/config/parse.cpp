#include "common/config/parse.hpp"

#include <charconv>
#include <limits>

namespace im2k::config {

namespace {

// All of text as an unsigned decimal number, no sign, no spaces.
std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty() || text.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<boost::asio::ip::tcp::endpoint> parse_endpoint(std::string_view text,
                                                             bool allow_port_zero) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) {
      return std::nullopt;  // brackets are for IPv6 only
    }
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return std::nullopt;  // IPv6 needs brackets
    }
  }
  if (port.size() > 5) {
    return std::nullopt;
  }
  auto port_number = parse_unsigned(port);
  if (!port_number || *port_number > 65535 || (*port_number == 0 && !allow_port_zero)) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return std::nullopt;
  }
  return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(*port_number));
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.size() < 2) {
    return std::nullopt;
  }
  std::uint64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  auto number = parse_unsigned(text.substr(0, text.size() - 1));
  // Bounded far beyond any sensible setting, so that the product cannot overflow.
  if (!number || *number > std::uint64_t{1} << 40) {
    return std::nullopt;
  }
  return std::chrono::seconds(static_cast<std::int64_t>(*number * unit));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  struct unit {
    std::string_view suffix;
    int shift;
  };
  static constexpr unit units[] = {{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"B", 0}};
  int shift = 0;
  for (const auto& u : units) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      text.remove_suffix(u.suffix.size());
      shift = u.shift;
      break;
    }
  }
  auto number = parse_unsigned(text);
  if (!number || *number > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    return std::nullopt;
  }
  return *number << shift;
}

std::string format_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s != 0 && s % 86400 == 0)
    return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0)
    return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0)
    return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::string_view suffixes[] = {"TiB", "GiB", "MiB", "KiB"};
  static constexpr int shifts[] = {40, 30, 20, 10};
  for (int i = 0; i < 4; ++i) {
    std::uint64_t unit = std::uint64_t{1} << shifts[i];
    if (bytes != 0 && bytes % unit == 0) {
      return std::to_string(bytes / unit) + std::string(suffixes[i]);
    }
  }
  return std::to_string(bytes) + "B";
}

}  // namespace im2k::config
