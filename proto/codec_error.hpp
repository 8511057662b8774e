// Why a frame or a request was refused by the codec. Each value names one failure precisely (for
// logs and tests) and maps to one wire code of SPEC.md "Error codes" through wire_code(). A
// framing error ([F-*]) means the connection must be closed ([F-10]); any other failure refuses
// only the request ([V-*], [R-4]) and the connection stays open.
#pragma once

#include <string>
#include <type_traits>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "proto/error.hpp"

namespace im2k::proto {

enum class codec_errc {
  // Framing errors: the connection is closed ([F-10]).
  length_zero = 1,   // [F-2] L = 0
  length_too_large,  // [F-2] L > 65 536 (also: encode_frame of a larger payload)
  truncated,         // [F-7] end of stream inside the length or the JSON text
  invalid_utf8,      // [F-3]
  invalid_json,      // [F-4]
  trailing_data,     // [F-4] octets after the value
  not_object,        // [F-4]
  duplicate_member,  // [F-9]
  too_deep,          // [F-12]
  bad_body_len,      // [F-5] body_len present but not an integer 0 ... 2^53 - 1
  body_too_large,    // [F-6] body_len over the announced max_message_size
  short_body,        // [F-7] end of stream inside the body
  // Request errors: only the request is refused.
  missing_field,    // [V-9]
  wrong_type,       // [V-9], [V-6] (fraction, exponent, boolean where an integer is expected)
  out_of_range,     // [V-6] and the per-field ranges
  too_long,         // [V-7]
  bad_syntax,       // [V-1], [V-2], [V-3], [V-5], enumerated values, error codes
  bad_address,      // [V-4]
  bad_count,        // [V-8] fewer than 1 or more than 1 000 recipients
  duplicate_value,  // [V-8] an address twice in a list
  mixed_domains,    // notify: rcpt not all in one domain
  unknown_op,
};

const boost::system::error_category& codec_category() noexcept;
boost::system::error_code make_error_code(codec_errc code) noexcept;

// True for the failures after which the connection must be closed ([F-10]). Errors of other
// categories (I/O errors such as a reset connection) also end the connection, so they count too.
bool is_framing_error(const boost::system::error_code& code) noexcept;

// The wire code to answer with: framing errors bad-request, [F-6] message-too-large, addresses
// bad-address, other request errors bad-request. A wire code (im2k::proto::errc) maps to itself;
// anything else (I/O errors) maps to internal.
errc wire_code(const boost::system::error_code& code) noexcept;

// A failure with enough context for a useful human message: the field path (for example
// "rcpt[2]" or "results[0].code"; empty for framing errors) and a short explanation.
struct codec_failure {
  boost::system::error_code code;
  std::string field;
  std::string message;

  codec_failure() = default;
  explicit codec_failure(boost::system::error_code c, std::string f = {}, std::string m = {})
      : code(c), field(std::move(f)), message(std::move(m)) {}
  explicit codec_failure(codec_errc c, std::string f = {}, std::string m = {})
      : code(make_error_code(c)), field(std::move(f)), message(std::move(m)) {}

  // "rcpt[2]: bad-address: not an address" style text for an error response's message.
  std::string describe() const;
};

// Lets boost::system::result<T, codec_failure>::value() throw on an error (programming error).
[[noreturn]] void throw_exception_from_error(const codec_failure& failure,
                                             const boost::source_location& location);

// Every fallible codec function returns this: the value, or why not.
template <class T>
using result = boost::system::result<T, codec_failure>;

}  // namespace im2k::proto

template <>
struct boost::system::is_error_code_enum<im2k::proto::codec_errc> : std::true_type {};
