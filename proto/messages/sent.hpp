// sent, on the OMS submit listener (SPEC.md "sent"): the authenticated user's own recent
// messages, newest first, each with its recipients' states, read in pages ([Q-8] ... ).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/error.hpp"
#include "proto/messages/status.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

inline constexpr std::size_t max_sent_messages = 20;     // per response
inline constexpr std::size_t max_sent_recipients = 100;  // per message

struct sent_recipient {
  address rcpt;
  rcpt_state state = rcpt_state::queued;
  std::uint64_t at = 0;                // unix seconds of the last change
  std::optional<errc> code;            // when a refusal or temporary failure is recorded
  std::optional<std::string> message;  // idem, [V-7]
  bool operator==(const sent_recipient&) const = default;
};

struct sent_message {
  std::string msg;                         // [V-1]
  std::uint64_t submitted = 0;             // unix seconds
  std::uint64_t size = 0;                  // octets of the stored body
  std::uint64_t rcpt_count = 0;            // all recipients; `recipients` holds the first of them
  std::vector<sent_recipient> recipients;  // submission order
  bool operator==(const sent_message&) const = default;
};

struct sent_request {
  std::uint64_t id = 0;
  std::optional<std::string> before;  // paging: the list starts after this message
  bool operator==(const sent_request&) const = default;
};

struct sent_response {
  std::uint64_t re = 0;
  std::vector<sent_message> messages;  // newest first
  bool more = false;                   // older messages follow the last one returned
  bool operator==(const sent_response&) const = default;
};

result<sent_request> parse_sent_request(const nlohmann::json& object);
// Checks the bounds of and too: a server that breaks them is malformed ([R-7]).
result<sent_response> parse_sent_response(const nlohmann::json& object);
nlohmann::json to_json(const sent_request& request);
nlohmann::json to_json(const sent_response& response);
// One message as it appears in `messages` (the server measures entries to fill a frame).
nlohmann::json to_json(const sent_message& message);

}  // namespace im2k::proto
