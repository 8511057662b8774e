// status, on the OMS submit listener (SPEC.md "status, recall"): the per-recipient state of a
// message in the sender's own spool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/error.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

enum class rcpt_state { queued, notified, deferred, pulled, rejected, recalled, expired };
std::string_view to_string(rcpt_state state);
std::optional<rcpt_state> rcpt_state_from_string(std::string_view text);

struct recipient_status {
  address rcpt;
  rcpt_state state = rcpt_state::queued;
  std::uint64_t at = 0;                       // unix seconds of the last change
  std::optional<errc> code;                   // when a refusal or temporary failure is recorded
  std::optional<std::string> message;         // idem, [V-7]
  std::optional<std::uint64_t> next_attempt;  // unix seconds; null when none is scheduled
  bool operator==(const recipient_status&) const = default;
};

struct status_request {
  std::uint64_t id = 0;
  std::string msg;               // [V-1]
  std::optional<address> after;  // paging: the list starts after this recipient
  bool operator==(const status_request&) const = default;
};

struct status_response {
  std::uint64_t re = 0;
  std::string msg;
  std::vector<recipient_status> recipients;
  bool more = false;  // recipients follow the last one returned
  bool operator==(const status_response&) const = default;
};

result<status_request> parse_status_request(const nlohmann::json& object);
result<status_response> parse_status_response(const nlohmann::json& object);
nlohmann::json to_json(const status_request& request);
nlohmann::json to_json(const status_response& response);

}  // namespace im2k::proto
