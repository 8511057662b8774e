// The field syntax of SPEC.md "Field syntax" ([V-1] ... [V-5]) as plain functions, so that
// servers and the client reuse exactly the checks the codec applies to every request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/codec_error.hpp"

namespace im2k::proto {

// [V-1]: 26 characters of lower-case RFC 4648 base32 (a-z, 2-7), no padding; the last one
// carries 3 bits and its 2 low-order bits are zero (one of "aeimquy4").
bool is_message_id(std::string_view text) noexcept;
// [V-2]: same syntax as a message id.
bool is_token(std::string_view text) noexcept;
// [V-3]: "sha256:" and 64 lower-case hexadecimal digits.
bool is_digest(std::string_view text) noexcept;
// [V-5]: at least two labels of letters, digits and hyphens (1-63 octets, no hyphen at either
// end), at most 253 octets, no trailing dot. Upper case is accepted; receivers lower-case.
bool is_host_name(std::string_view text) noexcept;
// RFC 5322 atext.
bool is_atext(char c) noexcept;

// [V-4]: local@domain. The domain is lower-cased; the local part is kept as written.
struct address {
  std::string local;
  std::string domain;

  std::string to_string() const { return local + "@" + domain; }
  bool operator==(const address&) const = default;
};

// Refuses with bad_address: no '@', a local part that is not a dot-atom of 1-64 octets, an
// address literal ("user@[192.0.2.1]"), a domain that is not a host name, over 254 octets.
result<address> parse_address(std::string_view text);

// ASCII-only case folding and comparison ([V-5], [V-8]); other octets are left as they are.
std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b) noexcept;

// 128 bits from OpenSSL RAND_bytes, encoded per [V-1]. Throws std::runtime_error if the random
// generator fails (it cannot be seeded: a start-up failure, not a value to carry on with).
std::string new_message_id();
std::string new_token();
// The [V-1] encoding of 16 octets (most significant bit first).
std::string encode_id(const unsigned char (&bits)[16]);

// Constant-time comparison for secrets such as pull tokens ([V-2], trust rule 6). The lengths
// are not secret.
bool secret_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace im2k::proto
