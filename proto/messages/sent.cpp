#include "proto/messages/sent.hpp"

#include <utility>

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

namespace {

result<sent_recipient> parse_recipient(const json& value, const std::string& path) {
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
  return sent_recipient{std::move(*rcpt), *known, *at, *code, std::move(*message)};
}

result<sent_message> parse_message(const json& value, const std::string& path) {
  auto is_object = fields::object(value, path);
  if (!is_object)
    return is_object.error();
  auto msg = get(value, "msg", path, as_message_id);
  if (!msg)
    return msg.error();
  auto submitted = get(value, "submitted", path, as_integer());
  if (!submitted)
    return submitted.error();
  auto size = get(value, "size", path, as_integer(1));
  if (!size)
    return size.error();
  auto count = get(value, "rcpt_count", path, as_integer(1, max_recipients));
  if (!count)
    return count.error();
  auto list = get(value, "recipients", path, as_array);
  if (!list)
    return list.error();
  const std::string list_path = join(path, "recipients");
  // 1 ... 100, and never more than the message has.
  if ((*list)->empty() || (*list)->size() > max_sent_recipients || (*list)->size() > *count)
    return codec_failure(codec_errc::bad_count, list_path, "1 to 100, at most rcpt_count");
  sent_message m;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    auto one = parse_recipient((**list)[i], join(list_path, i));
    if (!one)
      return one.error();
    m.recipients.push_back(std::move(*one));
  }
  m.msg = std::move(*msg);
  m.submitted = *submitted;
  m.size = *size;
  m.rcpt_count = *count;
  return m;
}

}  // namespace

result<sent_request> parse_sent_request(const json& object) {
  auto id = request_header(object, "sent");
  if (!id)
    return id.error();
  auto before = opt(object, "before", {}, as_message_id);
  if (!before)
    return before.error();
  return sent_request{*id, std::move(*before)};
}

result<sent_response> parse_sent_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto list = get(object, "messages", {}, as_array);
  if (!list)
    return list.error();
  if ((*list)->size() > max_sent_messages)
    return codec_failure(codec_errc::bad_count, "messages", "more than 20 messages");
  sent_response r;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    auto one = parse_message((**list)[i], join("messages", i));
    if (!one)
      return one.error();
    r.messages.push_back(std::move(*one));
  }
  auto more = opt(object, "more", {}, as_bool);
  if (!more)
    return more.error();
  r.re = *re;
  r.more = more->value_or(false);
  if (r.more && r.messages.empty())  // at least one while any remain
    return codec_failure(codec_errc::bad_count, "messages", "empty with more");
  return r;
}

json to_json(const sent_request& request) {
  json j = {{"op", "sent"}, {"id", request.id}};
  if (request.before)
    j["before"] = *request.before;
  return j;
}

json to_json(const sent_message& message) {
  json recipients = json::array();
  for (const auto& r : message.recipients) {
    json one = {{"rcpt", r.rcpt.to_string()}, {"state", to_string(r.state)}, {"at", r.at}};
    if (r.code)
      one["code"] = to_string(*r.code);
    if (r.message)
      one["message"] = *r.message;
    recipients.push_back(std::move(one));
  }
  return {{"msg", message.msg},
          {"submitted", message.submitted},
          {"size", message.size},
          {"rcpt_count", message.rcpt_count},
          {"recipients", std::move(recipients)}};
}

json to_json(const sent_response& response) {
  json messages = json::array();
  for (const auto& m : response.messages) {
    messages.push_back(to_json(m));
  }
  json j = {{"op", "ok"}, {"re", response.re}, {"messages", std::move(messages)}};
  if (response.more)
    j["more"] = true;
  return j;
}

}  // namespace im2k::proto
