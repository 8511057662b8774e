#include "proto/error.hpp"

#include <array>
#include <string>
#include <utility>

namespace im2k::proto {
namespace {

constexpr std::array<std::pair<errc, std::string_view>, 19> names{{
    {errc::unsupported_version, "unsupported-version"},
    {errc::bad_request, "bad-request"},
    {errc::not_authenticated, "not-authenticated"},
    {errc::cert_name_mismatch, "cert-name-mismatch"},
    {errc::sender_not_designated, "sender-not-designated"},
    {errc::dns_temporary, "dns-temporary"},
    {errc::domain_not_local, "domain-not-local"},
    {errc::unknown_recipient, "unknown-recipient"},
    {errc::sender_not_owned, "sender-not-owned"},
    {errc::bad_address, "bad-address"},
    {errc::message_too_large, "message-too-large"},
    {errc::rate_limited, "rate-limited"},
    {errc::policy, "policy"},
    {errc::quota_exceeded, "quota-exceeded"},
    {errc::digest_mismatch, "digest-mismatch"},
    {errc::not_found, "not-found"},
    {errc::recalled, "recalled"},
    {errc::expired, "expired"},
    {errc::internal, "internal"},
}};

class wire_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "im2k-wire"; }
  std::string message(int value) const override {
    return std::string(to_string(static_cast<errc>(value)));
  }
};

}  // namespace

std::string_view to_string(errc code) {
  for (const auto& [c, n] : names) {
    if (c == code)
      return n;
  }
  return "internal";
}

std::optional<errc> errc_from_string(std::string_view text) {
  for (const auto& [c, n] : names) {
    if (n == text)
      return c;
  }
  return std::nullopt;
}

bool is_temporary(errc code) {
  return code == errc::dns_temporary || code == errc::rate_limited || code == errc::internal;
}

const boost::system::error_category& wire_category() noexcept {
  static const wire_category_impl category;
  return category;
}

boost::system::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), wire_category()};
}

}  // namespace im2k::proto
