#include "common/config/limits.hpp"

#include <chrono>

namespace im2k::config {

namespace {

std::chrono::seconds whole_seconds(net::duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}

}  // namespace

void read_limits_section(table t, net::server_settings& s) {
  using std::chrono::seconds;
  s.max_connections = static_cast<std::size_t>(
      t.integer("max_connections", 1, 1'000'000, static_cast<std::int64_t>(s.max_connections)));
  s.max_connections_per_address =
      static_cast<std::size_t>(t.integer("max_connections_per_address", 1, 1'000'000,
                                         static_cast<std::int64_t>(s.max_connections_per_address)));
  s.handshake_timeout =
      t.duration("handshake_timeout", seconds(1), seconds(600), whole_seconds(s.handshake_timeout));
  s.hello_timeout =
      t.duration("hello_timeout", seconds(1), seconds(600), whole_seconds(s.hello_timeout));
  s.idle_timeout =
      t.duration("idle_timeout", seconds(1), seconds(86400), whole_seconds(s.idle_timeout));
  s.min_body_rate = t.size("min_body_rate", 1, std::uint64_t{1} << 40, s.min_body_rate);
}

}  // namespace im2k::config
