#include "common/crypto/password.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include <openssl/evp.h>

#include "common/crypto/base64.hpp"
#include "common/crypto/compare.hpp"
#include "common/crypto/random.hpp"

namespace im2k::crypto {

namespace {

constexpr std::size_t salt_size = 16;
constexpr std::size_t hash_size = 32;
constexpr std::uint64_t max_memory = 256u << 20;

// Memory EVP_PBE_scrypt needs (its own formula), or nullopt when over the limits.
std::optional<std::uint64_t> memory_needed(const scrypt_params& params) {
  if (params.ln < 1 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 ||
      params.p > 16) {
    return std::nullopt;
  }
  std::uint64_t n = std::uint64_t{1} << params.ln;
  std::uint64_t r = static_cast<std::uint64_t>(params.r);
  std::uint64_t p = static_cast<std::uint64_t>(params.p);
  std::uint64_t need = 128 * r * p + 32 * r * (n + 2) * 4;
  if (need > max_memory) {
    return std::nullopt;
  }
  return need;
}

std::optional<std::string> derive(std::string_view password, std::string_view salt,
                                  const scrypt_params& params, std::size_t size) {
  auto need = memory_needed(params);
  if (!need) {
    return std::nullopt;
  }
  std::string out(size, '\0');
  int ok = EVP_PBE_scrypt(password.data(), password.size(),
                          reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                          std::uint64_t{1} << params.ln, static_cast<std::uint64_t>(params.r),
                          static_cast<std::uint64_t>(params.p), *need + 4096,
                          reinterpret_cast<unsigned char*>(out.data()), out.size());
  if (ok != 1) {
    return std::nullopt;
  }
  return out;
}

std::string format_params(const scrypt_params& params) {
  return "ln=" + std::to_string(params.ln) + ",r=" + std::to_string(params.r) +
         ",p=" + std::to_string(params.p);
}

// "name=<decimal>" at the front of text; advances text past it.
std::optional<int> take_param(std::string_view& text, std::string_view name) {
  if (text.substr(0, name.size()) != name || text.size() <= name.size() ||
      text[name.size()] != '=') {
    return std::nullopt;
  }
  text.remove_prefix(name.size() + 1);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) {
    return std::nullopt;
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

std::optional<scrypt_params> parse_params(std::string_view text) {
  scrypt_params params;
  auto ln = take_param(text, "ln");
  if (!ln || text.empty() || text[0] != ',')
    return std::nullopt;
  text.remove_prefix(1);
  auto r = take_param(text, "r");
  if (!r || text.empty() || text[0] != ',')
    return std::nullopt;
  text.remove_prefix(1);
  auto p = take_param(text, "p");
  if (!p || !text.empty())
    return std::nullopt;
  params.ln = *ln;
  params.r = *r;
  params.p = *p;
  return params;
}

// Splits "$scrypt$params$salt$hash" into its four fields after the leading '$'.
std::optional<std::array<std::string_view, 4>> split_fields(std::string_view stored) {
  if (stored.empty() || stored[0] != '$') {
    return std::nullopt;
  }
  stored.remove_prefix(1);
  std::array<std::string_view, 4> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto end = stored.find('$');
    if ((end == std::string_view::npos) != (i == fields.size() - 1)) {
      return std::nullopt;
    }
    fields[i] = stored.substr(0, end);
    stored.remove_prefix(end == std::string_view::npos ? stored.size() : end + 1);
  }
  return fields;
}

}  // namespace

std::string hash_password(std::string_view password, scrypt_params params) {
  if (!memory_needed(params)) {
    throw std::invalid_argument("scrypt parameters out of range: " + format_params(params));
  }
  std::string salt = random_bytes(salt_size);
  auto hash = derive(password, salt, params, hash_size);
  if (!hash) {
    throw std::runtime_error("EVP_PBE_scrypt failed");
  }
  return "$scrypt$" + format_params(params) + "$" + base64_encode(salt) + "$" +
         base64_encode(*hash);
}

password_check check_password(std::string_view password, std::string_view stored) {
  auto fields = split_fields(stored);
  if (!fields || (*fields)[0] != "scrypt") {
    return password_check::malformed;
  }
  auto params = parse_params((*fields)[1]);
  auto salt = base64_decode((*fields)[2]);
  auto expected = base64_decode((*fields)[3]);
  if (!params || !memory_needed(*params) || !salt || salt->size() < 8 || salt->size() > 64 ||
      !expected || expected->size() < 16 || expected->size() > 64) {
    return password_check::malformed;
  }
  auto actual = derive(password, *salt, *params, expected->size());
  if (!actual) {
    return password_check::malformed;
  }
  return constant_time_equal(*actual, *expected) ? password_check::match : password_check::mismatch;
}

bool verify_password(std::string_view password, std::string_view stored) {
  return check_password(password, stored) == password_check::match;
}

}  // namespace im2k::crypto
