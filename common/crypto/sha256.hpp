// SHA-256 through OpenSSL EVP: one-shot for short strings, incremental for streamed bodies.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace im2k::crypto {

using sha256_digest = std::array<std::uint8_t, 32>;

// Lower-case hex of a digest, 64 characters.
std::string to_hex(const sha256_digest& digest);

// Lower-case hex SHA-256 of data.
std::string sha256_hex(std::string_view data);

class sha256 {
 public:
  sha256();  // throws std::runtime_error if OpenSSL cannot provide SHA-256 (start-up failure)
  sha256(sha256&&) noexcept = default;
  sha256& operator=(sha256&&) noexcept = default;
  ~sha256();

  void update(std::string_view data);
  // The digest of everything passed to update; the object must not be used afterwards.
  sha256_digest finish();

 private:
  struct context_free {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, context_free> ctx_;
};

}  // namespace im2k::crypto
