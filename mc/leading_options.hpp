// Options given before the subcommand, as git and kubectl accept them:
//
//   im2k --config FILE send bob@beta.test   ==   im2k send --config FILE bob@beta.test
//
// The options of the leading run (up to the first word that is not an option) are moved behind
// the subcommand's words, where the subcommand parses them (and refuses those it does not take).
// --help and --version there stay where they are: they belong to im2k itself.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace im2k::mc {

// `args` without the program name; returns them reordered (unchanged when nothing leads).
std::vector<std::string> move_leading_options(const CLI::App& app, std::vector<std::string> args);

}  // namespace im2k::mc
