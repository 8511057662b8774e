// The operator's DNS diagnostics: `im2k dns mx` and `im2k dns spf`.
#pragma once

#include <CLI/CLI.hpp>

namespace im2k::mc {

// Each adds its subcommand to `dns` and sets the exit status it wants in `exit_status`.
void add_dns_mx(CLI::App& dns, int& exit_status);
void add_dns_spf(CLI::App& dns, int& exit_status);

}  // namespace im2k::mc
