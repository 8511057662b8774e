// Building the RFC 5322 message that `im2k send` submits: line ends converted to CRLF as SPEC
// [S-6] requires, and, for a composed message, the From:, To:, Date:, Message-ID: and Subject:
// header fields.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "mc/failure.hpp"

namespace im2k::mc {

// LF alone and CR alone become CRLF; CRLF stays.
std::string to_crlf(std::string_view text);

// A message given whole (--file or stdin): CRLF line ends, and the empty line that ends the
// header section added when the text has none (a message of header fields only).
std::string prepare_message(std::string_view text);

// RFC 5322 date-time in UTC: "Sun, 22 Nov 2026 14:19:35 +0000".
std::string rfc5322_date(std::time_t when);

// The Subject: field value: as is when printable ASCII, else RFC 2047 encoded words (UTF-8,
// base64), folded so that no line is longer than 78 octets. Refuses control characters (a
// line break in a subject would inject header fields) and text that is not UTF-8.
outcome<std::string> encode_subject(std::string_view subject);

struct composition {
  std::string from;             // the user's address
  std::vector<std::string> to;  // the recipients
  std::string subject;
  std::string body;  // any line ends
  std::time_t date = 0;
  std::string message_id;  // "<...@domain>"
};

outcome<std::string> compose(const composition& c);

}  // namespace im2k::mc
