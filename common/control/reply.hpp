// The response objects of the control protocol, one JSON object per line:
//   {"ok":true, ...fields}            {"ok":false,"code":"not-found","message":"..."}
// Codes are the wire codes of proto/error.hpp, so that scripts see the same names everywhere.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "proto/error.hpp"

namespace im2k::control {

// `fields` (an object, or null for none) with "ok": true added first.
nlohmann::json ok_reply(nlohmann::json fields = nullptr);
nlohmann::json error_reply(proto::errc code, std::string_view message);

// True when `response` is an object with "ok": true.
bool is_ok(const nlohmann::json& response);

// One line: the object without newlines inside, invalid UTF-8 replaced, then "\n".
std::string to_line(const nlohmann::json& object);

}  // namespace im2k::control
