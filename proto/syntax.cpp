#include "proto/syntax.hpp"

#include <algorithm>

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace im2k::proto {
namespace {

constexpr std::string_view base32_alphabet = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t id_length = 26;

bool is_base32(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}
bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63)
    return false;
  if (label.front() == '-' || label.back() == '-')
    return false;
  for (char c : label) {
    if (!is_alnum(c) && c != '-')
      return false;
  }
  return true;
}

bool is_dot_atom(std::string_view text) noexcept {
  if (text.empty() || text.front() == '.' || text.back() == '.')
    return false;
  char previous = 0;
  for (char c : text) {
    if (c == '.') {
      if (previous == '.')
        return false;
    } else if (!is_atext(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

}  // namespace

bool is_message_id(std::string_view text) noexcept {
  if (text.size() != id_length)
    return false;
  for (char c : text) {
    if (!is_base32(c))
      return false;
  }
  // 26 * 5 = 130 bits for 128: the last character's 2 low-order bits are padding and zero.
  return (base32_alphabet.find(text.back()) & 0x3) == 0;
}

bool is_token(std::string_view text) noexcept {
  return is_message_id(text);
}

bool is_digest(std::string_view text) noexcept {
  constexpr std::string_view prefix = "sha256:";
  if (text.size() != prefix.size() + 64 || !text.starts_with(prefix))
    return false;
  for (char c : text.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

bool is_host_name(std::string_view text) noexcept {
  if (text.empty() || text.size() > 253)
    return false;
  std::size_t labels = 0;
  std::string_view label;
  while (true) {
    const std::size_t dot = text.find('.');
    label = text.substr(0, dot);
    if (!is_label(label))
      return false;
    ++labels;
    if (dot == std::string_view::npos)
      break;
    text.remove_prefix(dot + 1);
  }
  // [V-5]: an all-digit last label would let "192.0.2.1" pass for a name.
  const bool all_digits =
      std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
  return labels >= 2 && !all_digits;
}

bool is_atext(char c) noexcept {
  return is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

result<address> parse_address(std::string_view text) {
  if (text.size() > 254)
    return codec_failure(codec_errc::bad_address, {}, "over 254 octets");
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos)
    return codec_failure(codec_errc::bad_address, {}, "no @");
  const std::string_view local = text.substr(0, at);
  const std::string_view domain = text.substr(at + 1);
  if (local.size() > 64 || !is_dot_atom(local)) {
    return codec_failure(codec_errc::bad_address, {}, "local part");
  }
  if (domain.starts_with('[')) {
    return codec_failure(codec_errc::bad_address, {}, "address literal");
  }
  if (!is_host_name(domain))
    return codec_failure(codec_errc::bad_address, {}, "domain");
  return address{std::string(local), to_lower(domain)};
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

std::string encode_id(const unsigned char (&bits)[16]) {
  std::string out;
  out.reserve(id_length);
  unsigned buffer = 0;
  int count = 0;  // bits waiting in buffer
  for (unsigned char byte : bits) {
    buffer = (buffer << 8) | byte;
    count += 8;
    while (count >= 5) {
      count -= 5;
      out += base32_alphabet[(buffer >> count) & 0x1F];
    }
  }
  out += base32_alphabet[(buffer << (5 - count)) & 0x1F];  // 3 bits left, 2 zero bits of padding
  return out;
}

std::string new_message_id() {
  unsigned char bits[16];
  if (RAND_bytes(bits, sizeof bits) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return encode_id(bits);
}

std::string new_token() {
  return new_message_id();
}

bool secret_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace im2k::proto
