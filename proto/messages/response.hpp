// Responses in general ([R-2]): the client first tells ok from error; the ok fields are then
// parsed by the parse_<op>_response of the operation the client sent (responses come in request
// order, [R-3], so the client knows which one it is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/error.hpp"

namespace im2k::proto {

struct error_response {
  std::optional<std::uint64_t> re;  // null for a framing error ([F-10])
  errc code = errc::internal;
  bool temporary = true;
  std::string message;  // [V-7], for humans only
  bool operator==(const error_response&) const = default;
};

// An error response for `code` with its default permanence ([E-3]) and a message cut to the
// 1 024 octets [V-7] allows (at a UTF-8 character boundary).
error_response make_error_response(std::optional<std::uint64_t> re, errc code, std::string message);
// The error response a server sends for a codec failure: wire_code() and failure.describe().
error_response make_error_response(std::optional<std::uint64_t> re, const codec_failure& failure);

struct ok_response {
  std::uint64_t re = 0;
  nlohmann::json object;  // the whole object, for parse_<op>_response
};

using response = std::variant<ok_response, error_response>;

// [E-5]: an unknown code parses as internal, with "<the code>: " before the message and the
// temporary flag as sent.
result<response> parse_response(const nlohmann::json& object);
result<error_response> parse_error_response(const nlohmann::json& object);
nlohmann::json to_json(const error_response& response);

}  // namespace im2k::proto
