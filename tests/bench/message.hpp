// The bench's messages: valid RFC 5322 with CRLF line ends ([S-6]), a From: of the sender, and
// a body of filler lines (at most 76 characters) padded to the requested size.
#pragma once

#include <cstddef>
#include <string>

namespace im2k::bench {

// A message of exactly `size` octets when `size` leaves room for the header section (else the
// header section and an empty body: the smallest valid message). `serial` makes the
// Message-ID, Subject and filler differ between messages.
std::string make_message(const std::string& from, const std::string& to_field, std::size_t size,
                         std::size_t serial);

}  // namespace im2k::bench
