// notify, OMS -> IMS on the notify listener (SPEC.md "notify").
#pragma once

#include <cstddef>
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

inline constexpr std::size_t max_notify_recipients = 100;  // [N-9]

struct notify_request {
  std::uint64_t id = 0;
  std::string msg;                   // [V-1]
  address from;                      // [V-4]
  std::vector<address> rcpt;         // [V-8], all in one domain, at most 100 ([N-9])
  std::uint64_t size = 1;            // 1 ... 2^53 - 1; the IMS checks its own limit
  std::string digest;                // [V-3]
  std::string token;                 // [V-2]
  std::uint64_t expires = 0;         // unix seconds
  std::optional<std::string> stamp;  // [V-7], opaque
  bool operator==(const notify_request&) const = default;
};

enum class rcpt_status { accepted, rejected, deferred };
std::string_view to_string(rcpt_status status);

struct notify_result {
  address rcpt;
  rcpt_status status = rcpt_status::accepted;
  std::optional<errc> code;  // required unless accepted
  std::optional<std::string> message;
  bool operator==(const notify_result&) const = default;
};

struct notify_response {
  std::uint64_t re = 0;
  std::vector<notify_result> results;  // one per rcpt, in order
  bool operator==(const notify_response&) const = default;
};

result<notify_request> parse_notify_request(const nlohmann::json& object);
result<notify_response> parse_notify_response(const nlohmann::json& object);
nlohmann::json to_json(const notify_request& request);
nlohmann::json to_json(const notify_response& response);

}  // namespace im2k::proto
