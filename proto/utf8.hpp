// Strict UTF-8 validation per RFC 3629 ([F-3]): no overlong forms, no surrogates (U+D800 to
// U+DFFF), nothing above U+10FFFF, no stray continuation bytes, no truncated sequences.
#pragma once

#include <string_view>

namespace im2k::proto {

bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace im2k::proto
