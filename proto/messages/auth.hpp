// auth, on the user listeners (SPEC.md "auth"): a password, or nothing when the TLS client
// certificate names the user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

struct auth_request {
  std::uint64_t id = 0;
  address user;                         // [V-4], the user's own address
  std::optional<std::string> password;  // [V-7]; a secret: never log it
  bool operator==(const auth_request&) const = default;
};

struct auth_response {
  std::uint64_t re = 0;
  address user;
  bool operator==(const auth_response&) const = default;
};

result<auth_request> parse_auth_request(const nlohmann::json& object);
result<auth_response> parse_auth_response(const nlohmann::json& object);
nlohmann::json to_json(const auth_request& request);
nlohmann::json to_json(const auth_response& response);

}  // namespace im2k::proto
