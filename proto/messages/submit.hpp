// submit, on the OMS submit listener (SPEC.md "submit"): followed by body_len octets of an
// RFC 5322 message. The ok response is sent only once the message is durable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

struct submit_request {
  std::uint64_t id = 0;
  address from;                // [V-4]
  std::vector<address> rcpt;   // [V-8], any domains
  std::uint64_t body_len = 1;  // >= 1
  bool operator==(const submit_request&) const = default;
};

struct submit_response {
  std::uint64_t re = 0;
  std::string msg;  // [V-1]
  bool operator==(const submit_response&) const = default;
};

result<submit_request> parse_submit_request(const nlohmann::json& object);
result<submit_response> parse_submit_response(const nlohmann::json& object);
nlohmann::json to_json(const submit_request& request);
nlohmann::json to_json(const submit_response& response);

}  // namespace im2k::proto
