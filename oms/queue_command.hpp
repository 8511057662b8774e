// `im2k-oms queue list|show ID|retry ID|remove ID [--json] [--config FILE | --socket PATH]`:
// the operator's view of the spool, asked of the running daemon over its control socket
// (queue_operations.hpp). Human output is aligned columns; --json prints the daemon's answer.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "common/control/queue_cli.hpp"

namespace im2k::oms {

using queue_options = control::queue_options;

// Adds the `queue` subcommand to `app`; the options land in `options` when it is parsed.
CLI::App* add_queue_subcommand(CLI::App& app, queue_options& options);

// Runs it; returns the exit code (1 for an error answer such as not-found).
int queue_command(const queue_options& options);

}  // namespace im2k::oms
