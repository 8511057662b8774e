#include "common/spf/trace_text.hpp"

#include <cstddef>

namespace im2k::spf {

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0x0f];
    }
  }
  return out;
}

std::string describe_addresses(const dns::lookup<boost::asio::ip::address>& found) {
  if (!found.ok()) {
    return describe(found);
  }
  constexpr std::size_t shown = 8;
  std::string out;
  for (std::size_t i = 0; i < found.records.size() && i < shown; ++i) {
    out += (i ? " " : "") + found.records[i].to_string();
  }
  if (found.records.size() > shown) {
    out += " (+" + std::to_string(found.records.size() - shown) + " more)";
  }
  return out;
}

}  // namespace im2k::spf
