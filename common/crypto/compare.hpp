// Comparison of secrets (tokens, password hashes) whose running time does not depend on where
// the inputs first differ.
#pragma once

#include <string_view>

namespace im2k::crypto {

// True when a and b are byte for byte equal. The time depends only on the lengths: inputs of
// different length are still compared in full against each other, so a length difference does
// not let a peer skip the content comparison.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace im2k::crypto
