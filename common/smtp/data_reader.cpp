#include "common/smtp/data_reader.hpp"

namespace im2k::smtp {

data_reader::step data_reader::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  for (; i < in.size() && state_ != state::done; ++i) {
    const char c = in[i];
    switch (state_) {
      case state::line_start:
        if (c == '.') {
          state_ = state::dot;  // held back: a transparency dot or the end
          break;
        }
        out.push_back(c);
        state_ = c == '\r' ? state::cr : state::middle;
        break;
      case state::middle:
        out.push_back(c);
        if (c == '\r') {
          state_ = state::cr;
        }
        break;
      case state::cr:
        out.push_back(c);
        state_ = c == '\n' ? state::line_start : (c == '\r' ? state::cr : state::middle);
        break;
      case state::dot:
        // The line has more than the dot: the dot goes (RFC 5321 section 4.5.2).
        if (c == '\r') {
          state_ = state::dot_cr;
          break;
        }
        out.push_back(c);
        state_ = state::middle;
        break;
      case state::dot_cr:
        if (c == '\n') {
          state_ = state::done;  // CRLF . CRLF
          break;
        }
        // ".\r" and more: the dot goes, the CR stays.
        out.push_back('\r');
        out.push_back(c);
        state_ = c == '\r' ? state::cr : state::middle;
        break;
      case state::done:
        break;
    }
  }
  return {i, state_ == state::done};
}

void dot_stuffer::feed(std::string_view in, std::string& out) {
  for (const char c : in) {
    if (line_start_ && c == '.') {
      out.push_back('.');
    }
    out.push_back(c);
    line_start_ = after_cr_ && c == '\n';
    after_cr_ = c == '\r';
  }
}

void dot_stuffer::finish(std::string& out) {
  if (!line_start_) {
    out += "\r\n";
  }
  out += ".\r\n";
  line_start_ = true;
  after_cr_ = false;
}

}  // namespace im2k::smtp
