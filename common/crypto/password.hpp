// Password hashing with scrypt (memory-hard), stored in a self-describing string:
//   $scrypt$ln=15,r=8,p=1$<salt, base64>$<hash, base64>
// The parameters are read back from the stored string on verification, so they can be raised
// later without invalidating existing hashes. Hashing at the default parameters takes about
// 100 ms and 32 MiB: run it off the event loop.
#pragma once

#include <string>
#include <string_view>

namespace im2k::crypto {

struct scrypt_params {
  int ln = 15;  // N = 2^ln
  int r = 8;
  int p = 1;
};

// Throws std::invalid_argument for parameters outside the accepted limits (ln 1..20, r 1..32,
// p 1..16, at most 256 MiB), std::runtime_error if OpenSSL fails.
std::string hash_password(std::string_view password, scrypt_params params = {});

enum class password_check {
  match,
  mismatch,
  malformed,  // the stored string is not a hash this program understands: log it, refuse
};

password_check check_password(std::string_view password, std::string_view stored);

// True only for password_check::match.
bool verify_password(std::string_view password, std::string_view stored);

}  // namespace im2k::crypto
