// The message text after DATA (RFC 5321 section 4.5.2), without any I/O: removes the
// transparency dot of every line that starts with one and finds the end, "CRLF.CRLF", however
// the octets are split into chunks. Memory is constant; the message is never held whole.
//
// Only CRLF ends a line. A bare LF or CR neither ends the message nor starts a line, so that a
// "LF.LF" or "CR.CR" inside the text cannot end it early (the "SMTP smuggling" confusion);
// such text stays in the message, where a receiver that requires CRLF (im2k's [S-6]) refuses it.
//
//   smtp::data_reader r;
//   auto step = r.feed(chunk, out);  // appends unstuffed octets to `out`
//   step.consumed octets of `chunk` were used; step.done once the final dot line was read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace im2k::smtp {

class data_reader {
 public:
  struct step {
    std::size_t consumed = 0;  // of the input; after `done`, the rest belongs to the next command
    bool done = false;
  };

  // Appends at most in.size() octets to `out`. The message's final CRLF (the one before the
  // dot line) is part of the message: "a\r\n.\r\n" gives "a\r\n", ".\r\n" alone gives "".
  step feed(std::string_view in, std::string& out);

  bool done() const { return state_ == state::done; }
  // Ready for another message.
  void reset() { state_ = state::line_start; }

 private:
  enum class state { line_start, middle, cr, dot, dot_cr, done };
  state state_ = state::line_start;
};

// The other direction, for a client: adds the transparency dot to every line that starts with
// one, and ends the text with the dot line.
class dot_stuffer {
 public:
  // Appends the stuffed form of `in` to `out`.
  void feed(std::string_view in, std::string& out);
  // Appends the end: CRLF first if the text did not end in one (the dot must start a line).
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool after_cr_ = false;
};

}  // namespace im2k::smtp
