// The stable wire error codes of proto/SPEC.md ("Error codes") as a Boost.System error
// category, so that every layer can return them as plain error_code values.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>

#include <boost/system/error_code.hpp>

namespace im2k::proto {

enum class errc {
  unsupported_version = 1,
  bad_request,
  not_authenticated,
  cert_name_mismatch,
  sender_not_designated,
  dns_temporary,
  domain_not_local,
  unknown_recipient,
  sender_not_owned,
  bad_address,
  message_too_large,
  rate_limited,
  policy,
  quota_exceeded,
  digest_mismatch,
  not_found,
  recalled,
  expired,
  internal,
};

// The code as it is written on the wire, for example "sender-not-designated".
std::string_view to_string(errc code);
std::optional<errc> errc_from_string(std::string_view text);

// Whether a refusal with this code is temporary unless the sender says otherwise
// (SPEC.md [E-3]): only dns-temporary, rate-limited and internal are.
bool is_temporary(errc code);

const boost::system::error_category& wire_category() noexcept;
boost::system::error_code make_error_code(errc code) noexcept;

}  // namespace im2k::proto

template <>
struct boost::system::is_error_code_enum<im2k::proto::errc> : std::true_type {};
