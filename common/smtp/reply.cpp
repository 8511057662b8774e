#include "common/smtp/reply.hpp"

#include <algorithm>
#include <stdexcept>

namespace im2k::smtp {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// 1-3 digits without a leading zero (a lone "0" is fine).
bool is_number(std::string_view s) {
  if (s.empty() || s.size() > 3) {
    return false;
  }
  for (char c : s) {
    if (!is_digit(c)) {
      return false;
    }
  }
  return s.size() == 1 || s[0] != '0';
}

std::string clean(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), max_reply_text));
  for (char c : text.substr(0, max_reply_text)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

}  // namespace

std::string reply::summary() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) {
    out += " " + enhanced;
  }
  if (!lines.empty() && !lines.front().empty()) {
    out += " " + lines.front();
  }
  return out;
}

std::string format(const reply& r) {
  if (r.code < 200 || r.code > 599) {
    throw std::invalid_argument("smtp::format: reply code out of range");
  }
  const std::string code = std::to_string(r.code);
  const std::string prefix = r.enhanced.empty() ? std::string() : r.enhanced + " ";
  std::string out;
  const std::size_t n = r.lines.empty() ? 1 : r.lines.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += code;
    out += i + 1 == n ? ' ' : '-';
    out += prefix;
    if (!r.lines.empty()) {
      out += clean(r.lines[i]);
    }
    out += "\r\n";
  }
  return out;
}

bool is_enhanced_code(std::string_view text) {
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') {
    return false;
  }
  const auto rest = text.substr(2);
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) {
    return false;
  }
  return is_number(rest.substr(0, dot)) && is_number(rest.substr(dot + 1));
}

boost::system::result<std::optional<reply>, reply_fault> reply_parser::feed(std::string_view line) {
  const bool well_formed = line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) &&
                           is_digit(line[2]) && line[0] >= '2' && line[0] <= '5' &&
                           (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  if (!well_formed) {
    partial_.reset();
    return reply_fault::syntax;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  const bool last = line.size() == 3 || line[3] == ' ';
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (!partial_) {
    partial_ = reply{code, {}, {}};
    // The enhanced code counts only when its class is the reply's (RFC 3463 section 2).
    const auto space = text.find(' ');
    const auto first = text.substr(0, space);
    has_enhanced_ = is_enhanced_code(first) && first[0] == line[0];
    if (has_enhanced_) {
      partial_->enhanced = std::string(first);
    }
  } else if (partial_->code != code) {
    partial_.reset();
    return reply_fault::code_changed;
  }
  if (partial_->lines.size() >= max_reply_lines) {
    partial_.reset();
    return reply_fault::too_many_lines;
  }
  if (has_enhanced_ && text.starts_with(partial_->enhanced)) {
    text.remove_prefix(partial_->enhanced.size());
    if (!text.empty() && text.front() == ' ') {
      text.remove_prefix(1);
    }
  }
  partial_->lines.emplace_back(text);
  if (!last) {
    return std::optional<reply>();
  }
  std::optional<reply> done = std::move(partial_);
  partial_.reset();
  return done;
}

}  // namespace im2k::smtp
