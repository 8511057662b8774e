// Typed access to the members of a received object, each check exactly per SPEC.md "Field
// syntax". Every failure names the field (its path, e.g. "results[1].code") so that the error
// response can say what was wrong. A member that is absent is missing_field; a member that is
// present with the wrong JSON type (null included) is wrong_type ([V-9]).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/error.hpp"
#include "proto/frame.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto::fields {

using json = nlohmann::json;

inline constexpr std::size_t max_text = 1024;        // [V-7]
inline constexpr std::size_t max_recipients = 1000;  // [V-8]

// The member, or nullptr when absent.
const json* find(const json& object, std::string_view name);
// The member, or missing_field.
result<const json*> require(const json& object, std::string_view name, const std::string& path);

// Value checks; `path` names the value in failures.
result<std::uint64_t> integer(const json& value, const std::string& path, std::uint64_t min = 0,
                              std::uint64_t max = max_integer);  // [V-6]
result<bool> boolean(const json& value, const std::string& path);
result<std::string> text(const json& value, const std::string& path, std::size_t max = max_text,
                         std::size_t min = 0);                               // [V-7]
result<std::string> message_id(const json& value, const std::string& path);  // [V-1]
result<std::string> token(const json& value, const std::string& path);       // [V-2]
result<std::string> digest(const json& value, const std::string& path);      // [V-3]
result<address> address_value(const json& value, const std::string& path);   // [V-4]
result<std::string> host_name(const json& value, const std::string& path);   // [V-5], lower-cased
// A code of the error table. [E-5]: a code this version does not know is taken as internal (the
// sender's temporary flag or status still decides permanence); the field must still be a string.
result<errc> error_code(const json& value, const std::string& path);
result<const json::array_t*> array(const json& value, const std::string& path);
result<const json*> object(const json& value, const std::string& path);
// A list of addresses. With `recipients` the [V-8] rules apply (1 ... 1 000 entries, no address
// twice, compared case-insensitively); otherwise any length (the frame bounds it).
result<std::vector<address>> address_list(const json& value, const std::string& path,
                                          bool recipients);

// Path of a nested value: join("results", 2) is "results[2]", join("results[2]", "code") is
// "results[2].code".
std::string join(const std::string& path, std::size_t index);
std::string join(const std::string& path, std::string_view name);

// The same checks on a member of `object`: get_* when required, opt_* when optional.
template <class Check>
auto get(const json& object, std::string_view name, const std::string& prefix, Check check)
    -> decltype(check(object, std::string{})) {
  const std::string path = prefix.empty() ? std::string(name) : join(prefix, name);
  auto member = require(object, name, path);
  if (!member)
    return member.error();
  return check(**member, path);
}

template <class Check>
auto opt(const json& object, std::string_view name, const std::string& prefix, Check check)
    -> result<std::optional<typename decltype(check(object, std::string{}))::value_type>> {
  using value_type = typename decltype(check(object, std::string{}))::value_type;
  const json* member = find(object, name);
  if (member == nullptr)
    return std::optional<value_type>{};
  auto value = check(*member, prefix.empty() ? std::string(name) : join(prefix, name));
  if (!value)
    return value.error();
  return std::optional<value_type>{std::move(*value)};
}

// Ready-made checks for get/opt.
inline auto as_integer(std::uint64_t min = 0, std::uint64_t max = max_integer) {
  return [=](const json& v, const std::string& p) { return integer(v, p, min, max); };
}
inline auto as_text(std::size_t max = max_text, std::size_t min = 0) {
  return [=](const json& v, const std::string& p) { return text(v, p, max, min); };
}
inline constexpr auto as_bool = [](const json& v, const std::string& p) { return boolean(v, p); };
inline constexpr auto as_message_id = [](const json& v, const std::string& p) {
  return message_id(v, p);
};
inline constexpr auto as_token = [](const json& v, const std::string& p) { return token(v, p); };
inline constexpr auto as_digest = [](const json& v, const std::string& p) { return digest(v, p); };
inline constexpr auto as_address = [](const json& v, const std::string& p) {
  return address_value(v, p);
};
inline constexpr auto as_host = [](const json& v, const std::string& p) { return host_name(v, p); };
inline constexpr auto as_errc = [](const json& v, const std::string& p) {
  return error_code(v, p);
};
inline constexpr auto as_array = [](const json& v, const std::string& p) { return array(v, p); };
inline auto as_address_list(bool recipients) {
  return [=](const json& v, const std::string& p) { return address_list(v, p, recipients); };
}

// the request's "op" is `op`; the request's "id" (or a response's "re").
result<std::uint64_t> request_id(const json& object);
result<std::uint64_t> response_re(const json& object);
// An "ok" response: op is "ok" and re is an integer.
result<std::uint64_t> ok_re(const json& object);
// A request of operation `op`: op is `op` and id is an integer; returns the id.
result<std::uint64_t> request_header(const json& object, std::string_view op);

}  // namespace im2k::proto::fields
