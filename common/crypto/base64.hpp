// Standard base64 (RFC 4648 section 4) without padding, as used by the password hash format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace im2k::crypto {

std::string base64_encode(std::string_view bytes);
// Accepts unpadded input only; nullopt on any character outside the alphabet or a bad length.
std::optional<std::string> base64_decode(std::string_view text);

// The padded form (RFC 4648 section 4 with '='), as SASL (RFC 4954) uses it. The decoder wants
// a length that is a multiple of 4 with at most two '=' at the end, and nothing else.
std::string base64_encode_padded(std::string_view bytes);
std::optional<std::string> base64_decode_padded(std::string_view text);

}  // namespace im2k::crypto
