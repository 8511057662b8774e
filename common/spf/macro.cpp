#include "common/spf/macro.hpp"

#include <algorithm>
#include <string_view>

namespace im2k::spf {
namespace {

constexpr std::string_view delimiter_chars = ".-+,/_=";
constexpr std::size_t max_keep = 255;  // more parts than any name has: keeps them all

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool letter_allowed(char letter, macro_use use) {
  constexpr std::string_view everywhere = "slodipvh";
  constexpr std::string_view explanation_only = "crt";  // section 7.1: only in exp text
  if (everywhere.find(letter) != std::string_view::npos) {
    return true;
  }
  return explanation_only.find(letter) != std::string_view::npos && use != macro_use::domain_spec;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view label) {
  if (label.empty()) {
    return false;
  }
  const bool ldh = std::all_of(label.begin(), label.end(),
                               [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
  if (!ldh) {
    return false;
  }
  if (label.find('-') != std::string_view::npos) {
    return label.front() != '-' && label.back() != '-';
  }
  return std::any_of(label.begin(), label.end(), is_alpha);
}

std::string hex_byte(unsigned char c) {
  static constexpr char hex[] = "0123456789ABCDEF";
  return {'%', hex[c >> 4], hex[c & 0x0f]};
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) {
    return std::string("'") + c + "'";
  }
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0x0f];
}

void append_literal(macro_string& out, std::string_view text) {
  if (!out.items.empty() && out.items.back().letter == 0) {
    out.items.back().literal += text;
    return;
  }
  macro_item item;
  item.literal = std::string(text);
  out.items.push_back(std::move(item));
}

std::string letter_value(char letter, const macro_values& values) {
  switch (letter) {
    case 's':
      return values.sender;
    case 'l':
      return values.local_part;
    case 'o':
      return values.sender_domain;
    case 'd':
      return values.domain;
    case 'i':
      return dot_format(values.ip);
    case 'p':
      return values.validated_name;
    case 'v':
      return values.ip.is_v4() ? "in-addr" : "ip6";
    case 'h':
      return values.helo;
    case 'c':
      return values.ip.to_string();
    case 'r':
      return values.receiver.empty() ? std::string("unknown") : values.receiver;
    case 't':
      return std::to_string(values.timestamp);
    default:
      return {};
  }
}

// Section 7.3: split on the delimiters, optionally reverse, keep the right-hand parts, join
// with ".".
std::string transform(const std::string& value, const macro_item& item) {
  const std::string_view delimiters =
      item.delimiters.empty() ? std::string_view(".") : std::string_view(item.delimiters);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || delimiters.find(value[i]) != std::string_view::npos) {
      parts.emplace_back(value.data() + start, i - start);
      start = i + 1;
    }
  }
  if (item.reverse) {
    std::reverse(parts.begin(), parts.end());
  }
  std::size_t first = 0;
  if (item.keep != 0 && item.keep < parts.size()) {
    first = parts.size() - item.keep;
  }
  std::string out;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i != first) {
      out += '.';
    }
    out += parts[i];
  }
  return out;
}

}  // namespace

bool macro_string::uses(char letter) const {
  return std::any_of(items.begin(), items.end(),
                     [letter](const macro_item& item) { return item.letter == letter; });
}

macro_parse parse_macro_string(std::string_view text, macro_use use) {
  macro_string out;
  out.text = std::string(text);
  std::size_t last_expand_end = 0;  // where the text after the last macro-expand starts
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' && use == macro_use::explanation) {
      append_literal(out, " ");
      ++i;
      continue;
    }
    if (c != '%') {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e) {
        return {std::nullopt, describe_char(c) + " is not allowed in a macro string"};
      }
      append_literal(out, text.substr(i, 1));
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) {
      return {std::nullopt, "'%' at the end of a macro string"};
    }
    const char next = text[i + 1];
    if (next == '%' || next == '_' || next == '-') {
      append_literal(out, next == '%' ? "%" : next == '_' ? " " : "%20");
      i += 2;
      last_expand_end = i;
      continue;
    }
    if (next != '{') {
      return {std::nullopt,
              "'%' followed by " + describe_char(next) + " (only '{', '%', '_' or '-' may follow)"};
    }
    i += 2;
    if (i >= text.size() || !is_alpha(text[i])) {
      return {std::nullopt, "a macro letter must follow \"%{\""};
    }
    macro_item item;
    item.letter = lower(text[i]);
    item.escape = text[i] != item.letter;
    if (!letter_allowed(item.letter, use)) {
      const bool exp_only = std::string_view("crt").find(item.letter) != std::string_view::npos;
      return {std::nullopt, "macro letter '" + std::string(1, text[i]) + "' " +
                                (exp_only ? "is only allowed in explanations" : "is unknown")};
    }
    ++i;
    bool has_digits = false;
    while (i < text.size() && is_digit(text[i])) {
      has_digits = true;
      item.keep = std::min(max_keep, item.keep * 10 + static_cast<std::size_t>(text[i] - '0'));
      ++i;
    }
    if (has_digits && item.keep == 0) {
      return {std::nullopt, "a macro's part count must not be zero"};
    }
    if (i < text.size() && lower(text[i]) == 'r') {
      item.reverse = true;
      ++i;
    }
    while (i < text.size() && delimiter_chars.find(text[i]) != std::string_view::npos) {
      item.delimiters += text[i];
      ++i;
    }
    if (i >= text.size() || text[i] != '}') {
      return {std::nullopt, "malformed macro (expected '}')"};
    }
    ++i;
    last_expand_end = i;
    out.items.push_back(std::move(item));
  }

  if (use == macro_use::domain_spec) {
    if (text.empty()) {
      return {std::nullopt, "empty domain-spec"};
    }
    // domain-end = ( "." toplabel [ "." ] ) / macro-expand
    std::string_view tail = text.substr(last_expand_end);
    if (!tail.empty()) {
      if (tail.back() == '.') {
        tail.remove_suffix(1);
      }
      const std::size_t dot = tail.rfind('.');
      if (dot == std::string_view::npos || !is_toplabel(tail.substr(dot + 1))) {
        return {std::nullopt, "domain-spec must end in a macro or a valid top label"};
      }
    }
  }
  return {std::move(out), {}};
}

std::string expand(const macro_string& macro, const macro_values& values) {
  std::string out;
  for (const macro_item& item : macro.items) {
    if (item.letter == 0) {
      out += item.literal;
      continue;
    }
    std::string value = transform(letter_value(item.letter, values), item);
    out += item.escape ? url_escape(value) : value;
  }
  return out;
}

std::string dot_format(const boost::asio::ip::address& ip) {
  if (ip.is_v4()) {
    return ip.to_string();
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : ip.to_v6().to_bytes()) {
    if (!out.empty()) {
      out += '.';
    }
    out += hex[byte >> 4];
    out += '.';
    out += hex[byte & 0x0f];
  }
  return out;
}

std::string url_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += hex_byte(static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace im2k::spf
