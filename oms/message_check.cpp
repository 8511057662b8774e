#include "oms/message_check.hpp"

#include <utility>

namespace im2k::oms {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_wsp(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// The display name: no '<', '>', '@' anywhere; ',', ';', ':' and comments only inside a
// quoted string.
bool valid_display_name(std::string_view name) {
  bool quoted = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<' || c == '>' || c == '@') {
      return false;
    }
    if (quoted) {
      if (c == '\\') {
        ++i;  // quoted-pair
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == ';' || c == ':' || c == '(' || c == ')') {
      return false;
    }
  }
  return !quoted;
}

}  // namespace

boost::system::result<proto::address, message_fault> parse_from_value(std::string_view value) {
  value = trim(value);
  std::string_view spec = value;
  if (!value.empty() && value.back() == '>') {
    const auto open = value.rfind('<');
    if (open == std::string_view::npos) {
      return message_fault{proto::errc::sender_not_owned, "From: has '>' without '<'"};
    }
    if (!valid_display_name(value.substr(0, open))) {
      return message_fault{proto::errc::sender_not_owned,
                           "From: display name is not a plain phrase"};
    }
    spec = value.substr(open + 1, value.size() - open - 2);
  }
  auto address = proto::parse_address(spec);
  if (!address) {
    return message_fault{proto::errc::sender_not_owned, "From: is not one address"};
  }
  return *address;
}

void message_scanner::fail(std::string why) {
  if (!fault_) {
    fault_ = std::move(why);
  }
}

void message_scanner::feed(std::string_view chunk) {
  if (fault_) {
    return;
  }
  for (const char c : chunk) {
    if (c == '\0') {
      return fail("the message contains NUL");
    }
    if (previous_cr_ && c != '\n') {
      return fail("CR without LF");
    }
    if (c == '\n' && !previous_cr_) {
      return fail("LF without CR");
    }
    previous_cr_ = c == '\r';
    if (!in_header_) {
      continue;  // the body is opaque apart from the line-end rules
    }
    if (c == '\r') {
      continue;
    }
    if (c == '\n') {
      end_line();
      if (fault_) {
        return;
      }
      continue;
    }
    if (line_.size() >= max_header_line) {
      return fail("a header line is longer than 998 octets");
    }
    line_.push_back(c);
  }
}

void message_scanner::end_line() {
  if (line_.empty()) {
    in_header_ = false;  // the empty line ends the header section
    if (header_size_ == 0) {
      fail("the header section is empty");
    }
    return;
  }
  header_size_ += line_.size() + 2;
  if (header_size_ > max_header_section) {
    return fail("the header section is larger than 65536 octets");
  }
  if (is_wsp(line_.front())) {
    if (!seen_line_) {
      return fail("the first header line is a continuation line");
    }
    if (in_from_) {
      from_value_ += line_;  // unfolding: the CRLF goes, the white space stays
    }
    line_.clear();
    return;
  }
  const auto colon = line_.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 76) {
    return fail("a header line is neither a field nor a continuation line");
  }
  for (std::size_t i = 0; i < colon; ++i) {
    const auto u = static_cast<unsigned char>(line_[i]);
    if (u < 33 || u > 126) {
      return fail("a header field name has a character outside 33-126");
    }
  }
  seen_line_ = true;
  in_from_ = proto::iequals(std::string_view(line_).substr(0, colon), "From");
  if (in_from_) {
    ++from_count_;
    from_value_ = line_.substr(colon + 1);
  }
  line_.clear();
}

boost::system::result<proto::address, message_fault> message_scanner::finish() {
  if (!fault_ && previous_cr_) {
    fail("CR without LF");
  }
  if (!fault_ && in_header_) {
    fail("the message has no empty line ending the header section");
  }
  if (!fault_ && from_count_ != 1) {
    fail(from_count_ == 0 ? "the message has no From: field"
                          : "the message has several From: fields");
  }
  if (fault_) {
    return message_fault{proto::errc::bad_request, *fault_};
  }
  return parse_from_value(from_value_);
}

}  // namespace im2k::oms
