// Reading what the user gives a command (a message, a body) from a file or stdin, bounded.
#pragma once

#include <cstdint>
#include <string>

#include "mc/failure.hpp"

namespace im2k::mc {

// More than this is refused before connecting; the server's own limit ([H-9]) is checked once
// its hello says it.
inline constexpr std::uint64_t max_input_size = std::uint64_t{256} << 20;

// The whole of `path`, or of stdin when `path` is "-".
outcome<std::string> read_input(const std::string& path);

}  // namespace im2k::mc
