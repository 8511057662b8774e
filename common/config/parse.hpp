// The value syntaxes of configuration files, usable on their own (command-line flags, tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace im2k::config {

// "127.0.0.1:4650" or "[::1]:4650"; port 0 only if allow_port_zero. No host names: a listener
// or a peer address in a config is an address, not a name to resolve.
std::optional<boost::asio::ip::tcp::endpoint> parse_endpoint(std::string_view text,
                                                             bool allow_port_zero);

// "30s", "5m", "2h", "7d" (one unsigned number and one unit).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// "65536", "512B", "64KiB", "10MiB", "1GiB" (binary units only: "KB" is ambiguous).
std::optional<std::uint64_t> parse_size(std::string_view text);

// The shortest exact spelling: 90 -> "90s", 7200 -> "2h", 0 -> "0s".
std::string format_duration(std::chrono::seconds d);
// 65536 -> "64KiB", 1000 -> "1000B".
std::string format_size(std::uint64_t bytes);

}  // namespace im2k::config
