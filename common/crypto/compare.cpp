#include "common/crypto/compare.hpp"

#include <openssl/crypto.h>

namespace im2k::crypto {

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() == b.size()) {
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  }
  // Compare a with itself for the same amount of work, then report the mismatch.
  if (!a.empty()) {
    volatile int sink = CRYPTO_memcmp(a.data(), a.data(), a.size());
    (void)sink;
  }
  return false;
}

}  // namespace im2k::crypto
