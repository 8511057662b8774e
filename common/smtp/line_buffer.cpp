#include "common/smtp/line_buffer.hpp"

#include <stdexcept>

namespace im2k::smtp {

void line_buffer::compact() {
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

std::span<char> line_buffer::prepare() {
  compact();
  committed_ = buffer_.size();
  buffer_.resize(committed_ + read_chunk);
  return {buffer_.data() + committed_, read_chunk};
}

void line_buffer::commit(std::size_t n) {
  if (n > buffer_.size() - committed_) {
    throw std::logic_error("line_buffer::commit: more than prepared");
  }
  buffer_.resize(committed_ + n);
}

void line_buffer::consume(std::size_t n) {
  if (n > buffer_.size() - start_) {
    throw std::logic_error("line_buffer::consume: more than buffered");
  }
  start_ += n;
  scanned_ = 0;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
}

void line_buffer::clear() {
  buffer_.clear();
  start_ = 0;
  scanned_ = 0;
  discarding_ = false;
}

line_result line_buffer::next() {
  const std::string_view view = pending();
  const auto lf = view.find('\n', scanned_);
  if (lf == std::string_view::npos) {
    if (discarding_ || view.size() >= max_line_) {
      // Over the limit without an end: drop it now, report it when the line ends.
      discarding_ = true;
      buffer_.clear();
      start_ = 0;
      scanned_ = 0;
    } else {
      scanned_ = view.size();
    }
    return {line_result::kind::need_more, {}};
  }
  const bool too_long = discarding_ || lf + 1 > max_line_;
  const bool crlf = lf > 0 && view[lf - 1] == '\r';
  line_result out;
  if (too_long) {
    out.what = line_result::kind::too_long;
  } else if (!crlf) {
    out.what = line_result::kind::bare_lf;
  } else {
    out.what = line_result::kind::line;
    out.text = std::string(view.substr(0, lf - 1));
  }
  discarding_ = false;
  consume(lf + 1);
  return out;
}

}  // namespace im2k::smtp
