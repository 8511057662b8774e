// SMTP replies (RFC 5321 section 4.2) with enhanced status codes (RFC 3463, RFC 2034): how a
// server writes one, and how a client reads one back, line by line, without any I/O.
//
//   smtp::reply r{250, "2.0.0", {"Ok: queued as 5xq3vkr2gq7ht4mzcw4ly6npda"}};
//   socket.write(smtp::format(r));  // "250 2.0.0 Ok: queued as 5xq3...\r\n"
//
//   smtp::reply_parser p;
//   for (auto line : lines) if (auto done = p.feed(line)) ... *done is the whole reply
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace im2k::smtp {

struct reply {
  int code = 0;                    // 200 ... 599
  std::string enhanced;            // "2.1.0"; empty when the reply carries none (greeting, EHLO)
  std::vector<std::string> lines;  // the text of each line, without code and enhanced code

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // "250 2.0.0 first line" (the first line only), for logs and error messages.
  std::string summary() const;
  bool operator==(const reply&) const = default;
};

// Longest text of one reply line that format() writes: RFC 5321 section 4.5.3.1.5 allows 512
// octets with the code and CRLF.
inline constexpr std::size_t max_reply_text = 490;

// The reply on the wire: every line "CODE-ENHANCED TEXT\r\n", the last with a space after the
// code. Each line carries the enhanced code (RFC 2034 section 4). Text is cleaned for the wire:
// CR, LF and other control characters become '?', and a line is cut at max_reply_text octets.
// A reply without lines gets one empty text. `code` must be 200 ... 599 (a programming error
// otherwise: std::invalid_argument).
std::string format(const reply& r);

// True for "X.Y.Z" with X in 2, 4, 5, Y 0-999 and Z 0-999 without leading zeros (RFC 3463).
bool is_enhanced_code(std::string_view text);

// Why a reply line could not be read.
enum class reply_fault {
  syntax,         // not "DDD", "DDD TEXT" or "DDD-TEXT"
  code_changed,   // a continuation line with another code than the first line
  too_many_lines  // more lines than max_reply_lines
};

// Bounds what one reply can make a client hold.
inline constexpr std::size_t max_reply_lines = 100;

// Reads one reply from its lines (without CRLF), as a client does. Enhanced codes are taken
// from the text when the first line starts with one whose class matches the code's.
class reply_parser {
 public:
  // The reply once its last line is fed; nullopt while more lines follow. After a fault or a
  // complete reply the parser starts afresh.
  boost::system::result<std::optional<reply>, reply_fault> feed(std::string_view line);

 private:
  std::optional<reply> partial_;
  bool has_enhanced_ = false;
};

}  // namespace im2k::smtp
