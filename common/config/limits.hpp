// The [limits] section shared by both daemons: the connection limits and deadlines of [T-9]
// and [T-11] that every listener applies (common/net/server_settings).
#pragma once

#include "common/config/config.hpp"
#include "common/net/server_settings.hpp"

namespace im2k::config {

// max_connections, max_connections_per_address, handshake_timeout, hello_timeout (the first
// frame), idle_timeout, min_body_rate (octets per second); each defaults to server_settings'.
void read_limits_section(table t, net::server_settings& settings);

}  // namespace im2k::config
