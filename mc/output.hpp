// What the commands print: human lines by default, one JSON document with --json. Server text
// is untrusted ([E-6]): it is made printable before it reaches a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mc/failure.hpp"

namespace im2k::mc {

// Control characters (and DEL) become '?', so that a server cannot drive the terminal.
std::string printable(std::string_view text);

// Unix seconds as "2026-11-22 14:20:01 UTC".
std::string format_time(std::uint64_t unix_seconds);

// One JSON document on stdout.
void print_json(const nlohmann::json& document);

// "im2k: not-found: no such message" on stderr (and, with json, {"error": {...}} on stdout);
// returns the exit status of the failure.
int report(const failure& f, bool json);

}  // namespace im2k::mc
