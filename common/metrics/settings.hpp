// The [metrics] table of both daemons:
//
//   [metrics]
//   listen = "127.0.0.1:9100"   # optional: absent means no metrics endpoint
//
// Loopback only (127.0.0.0/8 or ::1): the endpoint has no authentication and no TLS. Port 0
// (any free port) is allowed, for tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/config/config.hpp"

namespace im2k::metrics {

// Records its errors in `errors` (the format of common/config) and never throws.
std::optional<boost::asio::ip::tcp::endpoint> read_metrics_section(
    config::table t, const std::string& file, std::vector<std::string>& errors);

}  // namespace im2k::metrics
