// pull, IMS -> OMS on the pull listener (SPEC.md "pull"). The ok response is followed by the
// body: body_len octets, equal to size ([F-5]).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"

namespace im2k::proto {

struct pull_request {
  std::uint64_t id = 0;
  std::string msg;          // [V-1]
  std::string token;        // [V-2]; compare with secret_equals
  std::string rcpt_domain;  // [V-5], lower-cased
  bool operator==(const pull_request&) const = default;
};

struct pull_response {
  std::uint64_t re = 0;
  std::uint64_t size = 0;
  std::string digest;          // [V-3]
  std::uint64_t body_len = 0;  // equal to size
  bool operator==(const pull_response&) const = default;
};

result<pull_request> parse_pull_request(const nlohmann::json& object);
result<pull_response> parse_pull_response(const nlohmann::json& object);
nlohmann::json to_json(const pull_request& request);
nlohmann::json to_json(const pull_response& response);

}  // namespace im2k::proto
