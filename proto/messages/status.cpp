#include "proto/messages/status.hpp"

#include <array>
#include <utility>

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

namespace {

constexpr std::array<std::pair<rcpt_state, std::string_view>, 7> state_names{{
    {rcpt_state::queued, "queued"},
    {rcpt_state::notified, "notified"},
    {rcpt_state::deferred, "deferred"},
    {rcpt_state::pulled, "pulled"},
    {rcpt_state::rejected, "rejected"},
    {rcpt_state::recalled, "recalled"},
    {rcpt_state::expired, "expired"},
}};

result<recipient_status> parse_recipient(const json& value, const std::string& path) {
  recipient_status r;
  auto is_object = fields::object(value, path);
  if (!is_object)
    return is_object.error();
  auto rcpt = get(value, "rcpt", path, as_address);
  if (!rcpt)
    return rcpt.error();
  auto state = get(value, "state", path, as_text());
  if (!state)
    return state.error();
  const auto known = rcpt_state_from_string(*state);
  if (!known)
    return codec_failure(codec_errc::bad_syntax, join(path, "state"), *state);
  auto at = get(value, "at", path, as_integer());
  if (!at)
    return at.error();
  auto code = opt(value, "code", path, as_errc);
  if (!code)
    return code.error();
  auto message = opt(value, "message", path, as_text());
  if (!message)
    return message.error();
  const json* next = find(value, "next_attempt");
  if (next != nullptr && !next->is_null()) {
    auto n = integer(*next, join(path, "next_attempt"));
    if (!n)
      return n.error();
    r.next_attempt = *n;
  }
  r.rcpt = std::move(*rcpt);
  r.state = *known;
  r.at = *at;
  r.code = *code;
  r.message = std::move(*message);
  return r;
}

}  // namespace

std::string_view to_string(rcpt_state state) {
  for (const auto& [s, name] : state_names) {
    if (s == state)
      return name;
  }
  return "queued";
}

std::optional<rcpt_state> rcpt_state_from_string(std::string_view text) {
  for (const auto& [s, name] : state_names) {
    if (name == text)
      return s;
  }
  return std::nullopt;
}

result<status_request> parse_status_request(const json& object) {
  auto id = request_header(object, "status");
  if (!id)
    return id.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  auto after = opt(object, "after", {}, as_address);
  if (!after)
    return after.error();
  return status_request{*id, std::move(*msg), std::move(*after)};
}

result<status_response> parse_status_response(const json& object) {
  status_response r;
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  auto recipients = get(object, "recipients", {}, as_array);
  if (!recipients)
    return recipients.error();
  for (std::size_t i = 0; i < (*recipients)->size(); ++i) {
    auto one = parse_recipient((**recipients)[i], join("recipients", i));
    if (!one)
      return one.error();
    r.recipients.push_back(std::move(*one));
  }
  auto more = opt(object, "more", {}, as_bool);
  if (!more)
    return more.error();
  r.re = *re;
  r.msg = std::move(*msg);
  r.more = more->value_or(false);
  return r;
}

json to_json(const status_request& request) {
  json j = {{"op", "status"}, {"id", request.id}, {"msg", request.msg}};
  if (request.after)
    j["after"] = request.after->to_string();
  return j;
}

json to_json(const status_response& response) {
  json recipients = json::array();
  for (const auto& r : response.recipients) {
    json one = {{"rcpt", r.rcpt.to_string()}, {"state", to_string(r.state)}, {"at", r.at}};
    if (r.code)
      one["code"] = to_string(*r.code);
    if (r.message)
      one["message"] = *r.message;
    one["next_attempt"] = r.next_attempt ? json(*r.next_attempt) : json(nullptr);
    recipients.push_back(std::move(one));
  }
  json j = {{"op", "ok"},
            {"re", response.re},
            {"msg", response.msg},
            {"recipients", std::move(recipients)}};
  if (response.more)
    j["more"] = true;
  return j;
}

}  // namespace im2k::proto
