// DNS host names as im2k accepts them from configuration, addresses and DNS answers.
#pragma once

#include <string>
#include <string_view>

namespace im2k::dns {

// A host name in the LDH form (RFC 1123 2.1, RFC 3696 2): labels of 1 to 63 letters, digits and
// hyphens, not starting or ending with a hyphen; at least two labels; at most 253 octets; the
// last label not all digits (so "1.2.3.4" is not a host name). Case-insensitive. A trailing dot
// is not accepted: normalize() first.
bool is_valid_host_name(std::string_view name);

// Lower-cases ASCII letters and strips one trailing dot: "Mx.Example.COM." -> "mx.example.com".
std::string normalize(std::string_view name);

}  // namespace im2k::dns
