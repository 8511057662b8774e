#include "common/crypto/sha256.hpp"

#include <stdexcept>

#include <openssl/evp.h>

namespace im2k::crypto {

namespace {

EVP_MD_CTX* as_ctx(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}

}  // namespace

std::string to_hex(const sha256_digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (std::uint8_t byte : digest) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0x0f]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  sha256 hash;
  hash.update(data);
  return to_hex(hash.finish());
}

void sha256::context_free::operator()(void* ctx) const {
  EVP_MD_CTX_free(as_ctx(ctx));
}

sha256::sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(as_ctx(ctx_.get()), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex(SHA-256) failed");
  }
}

sha256::~sha256() = default;

void sha256::update(std::string_view data) {
  if (!data.empty()) {
    EVP_DigestUpdate(as_ctx(ctx_.get()), data.data(), data.size());
  }
}

sha256_digest sha256::finish() {
  sha256_digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(as_ctx(ctx_.get()), out.data(), &len);
  return out;
}

}  // namespace im2k::crypto
