#include "common/smtp/error_reply.hpp"

#include <utility>

namespace im2k::smtp {

namespace {

struct mapping {
  int code;
  const char* enhanced;
};

// [W-9]. The codes below `internal` in this switch cannot be produced by SMTP submission; they
// get the generic failure, so that the function is total.
mapping map(proto::errc code) {
  using proto::errc;
  switch (code) {
    case errc::not_authenticated:
      return {535, "5.7.8"};  // RFC 4954: authentication credentials invalid
    case errc::rate_limited:
      return {454, "4.7.0"};  // RFC 4954: temporary authentication failure
    case errc::bad_address:
      return {553, "5.1.3"};  // mailbox name not allowed; bad address syntax
    case errc::sender_not_owned:
      return {550, "5.7.1"};  // not authorized; 550, since 553 may not answer DATA
    case errc::quota_exceeded:
      return {552, "5.2.2"};  // exceeded storage allocation
    case errc::message_too_large:
      return {552, "5.3.4"};  // message too big for system
    case errc::bad_request:
      return {550, "5.6.0"};  // the message's content breaks [S-6]
    case errc::internal:
      return {451, "4.3.0"};  // local error in processing
    case errc::unknown_recipient:
      return {550, "5.1.1"};
    case errc::domain_not_local:
      return {550, "5.1.2"};
    case errc::sender_not_designated:
      return {550, "5.7.23"};  // RFC 7372: SPF validation failed
    case errc::dns_temporary:
      return {451, "4.4.3"};
    case errc::policy:
      return {550, "5.7.1"};
    case errc::unsupported_version:
    case errc::cert_name_mismatch:
    case errc::digest_mismatch:
    case errc::not_found:
    case errc::recalled:
    case errc::expired:
      break;
  }
  return {554, "5.0.0"};
}

}  // namespace

reply reply_for(proto::errc code, std::string text) {
  const mapping m = map(code);
  return reply{m.code, m.enhanced, {std::move(text)}};
}

}  // namespace im2k::smtp
