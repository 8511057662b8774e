// Domain-name checks of RFC 7208 sections 4.3 and 4.8, and case-insensitive comparisons.
#pragma once

#include <string>
#include <string_view>

namespace im2k::spf {

// "example.com." -> "example.com": a trailing dot is ignored wherever a name is used.
std::string_view without_trailing_dot(std::string_view name);

// The <domain> of an initial check (section 4.3): a multi-label host name of letters, digits,
// '-' and '_', labels of 1 to 63 octets, at most 253 octets, its last label not all digits.
// Anything else (an address literal, a single label, an empty label) gives "none".
bool is_valid_check_domain(std::string_view name);

// A name built from a domain-spec (section 4.8) can be queried: no empty label, no label over
// 63 octets, at most 253 octets. Its characters are not checked: macros may insert anything.
bool is_queryable_name(std::string_view name);

// Section 4.8: a name longer than 253 octets loses labels on the left until it fits.
std::string truncate_left(std::string name);

bool iequals(std::string_view a, std::string_view b);

// `name` is `parent` or ends with "." + `parent`, ignoring case and trailing dots.
bool is_same_or_subdomain(std::string_view name, std::string_view parent);

}  // namespace im2k::spf
