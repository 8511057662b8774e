// Random bytes from OpenSSL's CSPRNG, for tokens, salts and message ids.
#pragma once

#include <cstddef>
#include <string>

namespace im2k::crypto {

// n random bytes. Throws std::runtime_error if the CSPRNG fails (it cannot in a sane system,
// and continuing without randomness would be worse than stopping).
std::string random_bytes(std::size_t n);

}  // namespace im2k::crypto
