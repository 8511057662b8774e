// The seven results of check_host() (RFC 7208 section 2.6).
#pragma once

#include <string_view>

namespace im2k::spf {

enum class result { none, neutral, pass, fail, softfail, temperror, permerror };

// The result word as RFC 7208 and RFC 8601 write it: "pass", "permerror", ...
std::string_view to_string(result value);

}  // namespace im2k::spf
