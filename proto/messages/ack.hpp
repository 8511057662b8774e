// ack, IMS -> OMS on the pull listener (SPEC.md "ack"): which recipients the IMS stored and
// which it refused after the pull.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/error.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

struct refusal {
  address rcpt;
  errc code = errc::policy;
  std::string message;  // [V-7]; "" when the peer sent none
  bool operator==(const refusal&) const = default;
};

struct ack_request {
  std::uint64_t id = 0;
  std::string msg;               // [V-1]
  std::string rcpt_domain;       // [V-5], lower-cased
  std::vector<address> stored;   // may be empty
  std::vector<refusal> refused;  // may be empty
  bool operator==(const ack_request&) const = default;
};

struct ack_response {
  std::uint64_t re = 0;
  bool operator==(const ack_response&) const = default;
};

result<ack_request> parse_ack_request(const nlohmann::json& object);
result<ack_response> parse_ack_response(const nlohmann::json& object);
nlohmann::json to_json(const ack_request& request);
nlohmann::json to_json(const ack_response& response);

}  // namespace im2k::proto
