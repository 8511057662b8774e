// `im2k-ims queue list|show ID|retry ID|remove ID [--json] [--config FILE | --socket PATH]`:
// the pending pulls, acks and held notifications of the running daemon, asked over its control
// socket (queue_operations.hpp). ID is the pull id that `list` shows.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "common/control/queue_cli.hpp"

namespace im2k::ims {

using queue_options = control::queue_options;

// Adds the `queue` subcommand to `app`; the options land in `options` when it is parsed.
CLI::App* add_queue_subcommand(CLI::App& app, queue_options& options);

// Runs it; returns the exit code (1 for an error answer such as not-found).
int queue_command(const queue_options& options);

}  // namespace im2k::ims
