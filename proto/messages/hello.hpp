// hello, the first frame in both directions on every listener (SPEC.md "hello").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"

namespace im2k::proto {

struct hello_request {
  std::uint64_t id = 0;               // MUST be 0
  std::uint64_t version = 1;          // 1 ... 65 535
  std::optional<std::string> host;    // [V-5], lower-cased; required on peer listeners
  std::optional<std::string> client;  // 1-128 octets; required on user listeners
  bool operator==(const hello_request&) const = default;
};

struct hello_response {
  std::uint64_t re = 0;
  std::uint64_t version = 1;
  std::string host;                    // [V-5]
  std::uint64_t max_message_size = 1;  // 1 ... 2^53 - 1
  bool operator==(const hello_response&) const = default;
};

// Which of host and client a listener requires is the listener's business, not the codec's.
result<hello_request> parse_hello_request(const nlohmann::json& object);
result<hello_response> parse_hello_response(const nlohmann::json& object);
nlohmann::json to_json(const hello_request& request);
nlohmann::json to_json(const hello_response& response);

}  // namespace im2k::proto
