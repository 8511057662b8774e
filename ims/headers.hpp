// The header fields the IMS adds to a stored message, and the header checks it applies to a
// pulled one: SPEC [P-11] (the message checks of [S-6], the From: domain of [S-7]) and [P-13]
// (trace and Authentication-Results fields, forged Authentication-Results removed).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "proto/error.hpp"
#include "proto/syntax.hpp"

namespace im2k::ims {

// The largest header section [S-6] allows.
inline constexpr std::size_t max_header_section = 65536;

// RFC 5322 date-time in UTC: "Sun, 22 Nov 2026 13:34:37 +0000".
std::string format_date(std::time_t when);

// The bracketed part of a Received: field: "127.0.1.1" or "IPv6:2001:db8::1". An IPv4-mapped
// IPv6 address is written as the IPv4 address ([D-10]).
std::string address_literal(const boost::asio::ip::address& address);

struct trace_values {
  std::string ims_host;              // our host name, the authserv-id
  std::string sender;                // the notified `from`
  std::string peer_host;             // H
  boost::asio::ip::address address;  // the address the pull connected to
  std::string tls_version;           // "TLSv1.3"
  std::string msg;                   // the message id
  std::time_t when = 0;              // time of storing
};

// The Authentication-Results and Received fields of [P-13], exactly, CRLF line ends.
std::string trace_fields(const trace_values& values);

// [S-7]: the address of a From: field's value (raw, possibly folded). nullopt when the value
// is not one address, bare or as `display-name <address>` (groups, lists and comments are
// refused). Encoded words in the display name are left as they are: only the address counts.
std::optional<proto::address> parse_from_value(std::string_view value);

// The authserv-id of an Authentication-Results value: its first token, lower-cased ("" if none).
std::string authserv_id_of(std::string_view value);

struct header_verdict {
  std::optional<proto::errc> refusal;  // bad_request ([S-6]) or none
  std::string reason;                  // for the log and the ack message
  std::optional<proto::address> from;  // the From: address, when the section is valid
  std::string kept;  // the section without Authentication-Results fields of `authserv_id`
};

// Checks a header section (every line with its CRLF, without the empty line that ends it) by
// [S-6] 2-4 and [S-7]'s syntax, and removes the Authentication-Results fields whose
// authserv-id is `authserv_id` (case-insensitive).
header_verdict check_header_section(std::string_view section, std::string_view authserv_id);

}  // namespace im2k::ims
