#include "common/crypto/random.hpp"

#include <climits>
#include <stdexcept>

#include <openssl/rand.h>

namespace im2k::crypto {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > static_cast<std::size_t>(INT_MAX) ||
      (n > 0 &&
       RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

}  // namespace im2k::crypto
