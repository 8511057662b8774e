// The input side of an SMTP connection without the socket: octets read from the network go in,
// bounded command or reply lines come out (RFC 5321 section 4.5.3.1.4: 1 000 octets with the
// CRLF), and whatever follows a line stays buffered for the next one (pipelining) or for the
// DATA reader.
//
//   smtp::line_buffer in(smtp::max_command_line);
//   auto space = in.prepare();  n = read(socket, space);  in.commit(n);
//   auto l = in.next();         // line, need_more, too_long or bare_lf
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace im2k::smtp {

// A command line, CRLF included (RFC 5321 section 4.5.3.1.4).
inline constexpr std::size_t max_command_line = 1000;
// How much one read may add to the buffer.
inline constexpr std::size_t read_chunk = 16 * 1024;

struct line_result {
  enum class kind {
    line,       // `text` is the line without its CRLF
    need_more,  // no complete line is buffered: read more
    too_long,   // a line longer than the limit ended; it was discarded
    bare_lf,    // a line ended in LF without CR; it was discarded
  };
  kind what = kind::need_more;
  std::string text;
};

class line_buffer {
 public:
  explicit line_buffer(std::size_t max_line = max_command_line) : max_line_(max_line) {}

  // Room for the next read (read_chunk octets), and how many of them the read filled.
  std::span<char> prepare();
  void commit(std::size_t n);

  // The next line, a fault for a line that has ended, or need_more. A line longer than the
  // limit is dropped as it arrives (memory stays bounded) and reported once its LF comes.
  line_result next();

  // Octets received and not yet taken as lines: for the DATA reader, which consumes them.
  std::string_view pending() const { return std::string_view(buffer_).substr(start_); }
  void consume(std::size_t n);
  // Forget everything buffered (after STARTTLS, RFC 3207 section 4.2).
  void clear();
  // True while the buffer holds octets that a line has not taken: the peer pipelined.
  bool has_pending() const { return start_ < buffer_.size() || discarding_; }

 private:
  void compact();

  std::size_t max_line_;
  std::string buffer_;
  std::size_t start_ = 0;      // first unconsumed octet
  std::size_t scanned_ = 0;    // octets after start_ known to hold no LF
  std::size_t committed_ = 0;  // size of buffer_ before prepare()
  bool discarding_ = false;    // inside an over-long line
};

}  // namespace im2k::smtp
