// im2k-oms assembled: the spool, the resolver, the submit and pull listeners, the notifier and
// retention on one event loop thread (plus the spool's writer thread and one thread for scrypt),
// with recovery at start, SIGHUP reloading TLS material and SIGTERM/SIGINT draining.
#pragma once

#include "oms/config.hpp"

namespace im2k::oms {

// Runs the daemon until SIGTERM or SIGINT; returns the process exit code. Start-up failures
// (unreadable TLS material, a port in use) are logged and give 1.
int run_server(const oms_config& config);

}  // namespace im2k::oms
