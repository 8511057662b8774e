// The submission checks of SPEC.md [S-6] and [S-7], applied while the message streams to its
// body file: CRLF line ends, no NUL, a header section of 1-65 536 octets ended by an empty line,
// header lines of at most 998 octets that are field or continuation lines, exactly one From:
// field, whose value is one plain mailbox. Memory is bounded by one header line and the From:
// value, whatever the message size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "proto/error.hpp"
#include "proto/syntax.hpp"

namespace im2k::oms {

inline constexpr std::size_t max_header_section = 65536;
inline constexpr std::size_t max_header_line = 998;

// Why a message fails [S-6] (answered bad-request) or its From: value fails [S-7].
struct message_fault {
  proto::errc code = proto::errc::bad_request;  // [S-6]; sender-not-owned for [S-7]
  std::string message;                          // for the error response
};

class message_scanner {
 public:
  // Feed the message in order, in chunks of any size.
  void feed(std::string_view chunk);
  // After the last chunk: the From: address, or the first fault found.
  boost::system::result<proto::address, message_fault> finish();

 private:
  void fail(std::string why);
  void end_line();

  std::optional<std::string> fault_;
  bool previous_cr_ = false;
  bool in_header_ = true;
  bool seen_line_ = false;  // a header line was complete
  bool in_from_ = false;    // the current field is From:
  std::size_t header_size_ = 0;
  std::size_t from_count_ = 0;
  std::string line_;        // the current header line without its CRLF
  std::string from_value_;  // unfolded
};

// [S-7] on an unfolded From: value: `address` or `display name <address>`.
boost::system::result<proto::address, message_fault> parse_from_value(std::string_view value);

}  // namespace im2k::oms
