#include "proto/utf8.hpp"

#include <cstddef>

namespace im2k::proto {

// The table of RFC 3629 section 4 ("UTF8-octets"), one branch per row, so that every accepted
// sequence is one of the well-formed byte patterns and nothing else.
bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  auto tail = [&](std::size_t at) { return at < n && (p[at] & 0xC0) == 0x80; };
  auto in = [&](std::size_t at, unsigned char lo, unsigned char hi) {
    return at < n && p[at] >= lo && p[at] <= hi;
  };
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!tail(i + 1))
        return false;
      i += 2;
    } else if (c == 0xE0) {
      if (!in(i + 1, 0xA0, 0xBF) || !tail(i + 2))
        return false;  // no overlong
      i += 3;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      if (!tail(i + 1) || !tail(i + 2))
        return false;
      i += 3;
    } else if (c == 0xED) {
      if (!in(i + 1, 0x80, 0x9F) || !tail(i + 2))
        return false;  // no surrogates
      i += 3;
    } else if (c == 0xF0) {
      if (!in(i + 1, 0x90, 0xBF) || !tail(i + 2) || !tail(i + 3))
        return false;  // no overlong
      i += 4;
    } else if (c >= 0xF1 && c <= 0xF3) {
      if (!tail(i + 1) || !tail(i + 2) || !tail(i + 3))
        return false;
      i += 4;
    } else if (c == 0xF4) {
      if (!in(i + 1, 0x80, 0x8F) || !tail(i + 2) || !tail(i + 3))
        return false;  // <= U+10FFFF
      i += 4;
    } else {
      return false;  // 0x80-0xC1 (continuation or overlong lead) and 0xF5-0xFF
    }
  }
  return true;
}

}  // namespace im2k::proto
