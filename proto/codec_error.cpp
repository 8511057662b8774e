#include "proto/codec_error.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace im2k::proto {
namespace {

class codec_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "im2k-codec"; }
  std::string message(int value) const override {
    switch (static_cast<codec_errc>(value)) {
      case codec_errc::length_zero:
        return "frame length is zero";
      case codec_errc::length_too_large:
        return "frame length over 65536";
      case codec_errc::truncated:
        return "end of stream inside a frame";
      case codec_errc::invalid_utf8:
        return "frame is not valid UTF-8";
      case codec_errc::invalid_json:
        return "frame is not valid JSON";
      case codec_errc::trailing_data:
        return "data after the JSON value";
      case codec_errc::not_object:
        return "JSON value is not an object";
      case codec_errc::duplicate_member:
        return "duplicate member name";
      case codec_errc::too_deep:
        return "JSON nested deeper than 16 levels";
      case codec_errc::bad_body_len:
        return "body_len is not a valid integer";
      case codec_errc::body_too_large:
        return "body_len over the announced maximum";
      case codec_errc::short_body:
        return "end of stream inside a body";
      case codec_errc::missing_field:
        return "required field missing";
      case codec_errc::wrong_type:
        return "field of the wrong type";
      case codec_errc::out_of_range:
        return "integer out of range";
      case codec_errc::too_long:
        return "text too long";
      case codec_errc::bad_syntax:
        return "field syntax";
      case codec_errc::bad_address:
        return "not an address";
      case codec_errc::bad_count:
        return "wrong number of recipients";
      case codec_errc::duplicate_value:
        return "address listed twice";
      case codec_errc::mixed_domains:
        return "recipients in more than one domain";
      case codec_errc::unknown_op:
        return "unknown operation";
    }
    return "unknown codec error";
  }
};

}  // namespace

const boost::system::error_category& codec_category() noexcept {
  static const codec_category_impl category;
  return category;
}

boost::system::error_code make_error_code(codec_errc code) noexcept {
  return {static_cast<int>(code), codec_category()};
}

bool is_framing_error(const boost::system::error_code& code) noexcept {
  if (code.category() == codec_category()) {
    return code.value() <= static_cast<int>(codec_errc::short_body);
  }
  // A wire code is a request-level refusal; anything else is an I/O failure.
  return code.category() != wire_category();
}

errc wire_code(const boost::system::error_code& code) noexcept {
  if (code.category() == wire_category()) {
    return static_cast<errc>(code.value());
  }
  if (code.category() != codec_category()) {
    return errc::internal;
  }
  switch (static_cast<codec_errc>(code.value())) {
    case codec_errc::body_too_large:
      return errc::message_too_large;
    case codec_errc::bad_address:
      return errc::bad_address;
    default:
      return errc::bad_request;
  }
}

std::string codec_failure::describe() const {
  std::string text;
  if (!field.empty()) {
    text += field;
    text += ": ";
  }
  text += code.message();
  if (!message.empty()) {
    text += ": ";
    text += message;
  }
  return text;
}

void throw_exception_from_error(const codec_failure& failure,
                                const boost::source_location& location) {
  boost::throw_exception(boost::system::system_error(failure.code, failure.describe()), location);
}

}  // namespace im2k::proto
