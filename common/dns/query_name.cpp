#include "common/dns/query_name.hpp"

#include <vector>

#include "common/dns/wire.hpp"

namespace im2k::dns {

namespace {

constexpr std::size_t max_label_octets = 63;
constexpr std::size_t max_name_octets = 253;  // in text, without the trailing dot

// Splits `text` into labels of raw octets, decoding escapes. False for a bad escape.
bool decode_labels(std::string_view text, std::vector<std::string>& labels) {
  labels.emplace_back();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      labels.emplace_back();
      continue;
    }
    if (c != '\\') {
      labels.back() += c;
      continue;
    }
    if (++i == text.size()) {
      return false;
    }
    const auto digit = [&](std::size_t at) { return text[at] >= '0' && text[at] <= '9'; };
    if (!digit(i)) {
      labels.back() += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !digit(i + 1) || !digit(i + 2)) {
      return false;
    }
    const int value = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
    if (value > 255) {
      return false;
    }
    labels.back() += static_cast<char>(value);
    i += 2;
  }
  return true;
}

}  // namespace

std::optional<query_name> make_query_name(std::string_view text) {
  std::vector<std::string> labels;
  if (!decode_labels(text, labels)) {
    return std::nullopt;
  }
  query_name out;
  std::size_t octets = 0;
  for (const std::string& label : labels) {
    if (label.empty() || label.size() > max_label_octets) {
      return std::nullopt;
    }
    octets += label.size() + (octets == 0 ? 0 : 1);
    if (!out.canonical.empty()) {
      out.canonical += '.';
      out.cares += '.';
    }
    for (const char c : label) {
      if (c == '\0') {
        return std::nullopt;
      }
      wire::append_label_octet(out.canonical, static_cast<std::uint8_t>(c));
      if (c == '.' || c == '\\') {
        out.cares += '\\';
      }
      out.cares += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  if (octets > max_name_octets) {
    return std::nullopt;
  }
  return out;
}

}  // namespace im2k::dns
