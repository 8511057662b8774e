// The bench's report: built once as one JSON object (printed as is with --json), and printed as
// aligned text for people.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace im2k::bench {

void print_text(const nlohmann::json& report, std::ostream& out);

}  // namespace im2k::bench
