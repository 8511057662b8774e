// The SASL mechanisms of SMTP AUTH (RFC 4954) that im2k offers, decoded without I/O:
// PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login: a user name, then a password, each in
// its own base64 line) and EXTERNAL (RFC 4422 appendix A: the identity comes from TLS).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace im2k::smtp {

enum class sasl_fault {
  bad_base64,  // 501 5.5.2 (RFC 4954 section 4)
  malformed,   // the decoded message breaks the mechanism's syntax
  cancelled,   // the client sent "*"
};

// PLAIN's message: [authzid] NUL authcid NUL passwd.
struct plain_credentials {
  std::string authzid;  // empty: the same as authcid
  std::string authcid;
  std::string password;
};

// One client line of an exchange ("*" cancels; "=" or "" is an empty response), decoded.
boost::system::result<std::string, sasl_fault> decode_response(std::string_view line);

// The decoded PLAIN message.
boost::system::result<plain_credentials, sasl_fault> parse_plain(std::string_view message);

// The client's side, for a later SMTP client: "AUTH PLAIN <this>".
std::string encode_plain(std::string_view authcid, std::string_view password);

}  // namespace im2k::smtp
