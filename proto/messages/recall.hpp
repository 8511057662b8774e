// recall, on the OMS submit listener (SPEC.md "status, recall"): withdraw a message from the
// recipients that have not pulled it yet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

struct recall_request {
  std::uint64_t id = 0;
  std::string msg;  // [V-1]
  bool operator==(const recall_request&) const = default;
};

struct recall_response {
  std::uint64_t re = 0;
  std::string msg;
  std::vector<address> recalled;  // the recipients it withdrew; may be empty
  bool operator==(const recall_response&) const = default;
};

result<recall_request> parse_recall_request(const nlohmann::json& object);
result<recall_response> parse_recall_response(const nlohmann::json& object);
nlohmann::json to_json(const recall_request& request);
nlohmann::json to_json(const recall_response& response);

}  // namespace im2k::proto
