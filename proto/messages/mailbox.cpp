#include "proto/messages/mailbox.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

namespace {

result<mailbox_entry> parse_entry(const json& value, const std::string& path) {
  auto is_object = fields::object(value, path);
  if (!is_object)
    return is_object.error();
  auto id = get(value, "id", path, as_message_id);
  if (!id)
    return id.error();
  auto from = get(value, "from", path, as_address);
  if (!from)
    return from.error();
  auto size = get(value, "size", path, as_integer());
  if (!size)
    return size.error();
  auto received = get(value, "received", path, as_integer());
  if (!received)
    return received.error();
  auto state = get(value, "state", path, as_text());
  if (!state)
    return state.error();
  mailbox_entry e{std::move(*id), std::move(*from), *size, *received, mailbox_state::stored};
  if (*state == "held") {
    e.state = mailbox_state::held;
  } else if (*state != "stored") {
    return codec_failure(codec_errc::bad_syntax, join(path, "state"), *state);
  }
  return e;
}

}  // namespace

std::string_view to_string(mailbox_state state) {
  return state == mailbox_state::held ? "held" : "stored";
}

result<list_request> parse_list_request(const json& object) {
  auto id = request_header(object, "list");
  if (!id)
    return id.error();
  auto after = opt(object, "after", {}, as_message_id);
  if (!after)
    return after.error();
  return list_request{*id, std::move(*after)};
}

result<list_response> parse_list_response(const json& object) {
  list_response r;
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto messages = get(object, "messages", {}, as_array);
  if (!messages)
    return messages.error();
  for (std::size_t i = 0; i < (*messages)->size(); ++i) {
    auto one = parse_entry((**messages)[i], join("messages", i));
    if (!one)
      return one.error();
    r.messages.push_back(std::move(*one));
  }
  auto more = opt(object, "more", {}, as_bool);
  if (!more)
    return more.error();
  r.more = more->value_or(false);
  r.re = *re;
  return r;
}

result<fetch_request> parse_fetch_request(const json& object) {
  auto id = request_header(object, "fetch");
  if (!id)
    return id.error();
  auto msg = get(object, mailbox_message_field, {}, as_message_id);
  if (!msg)
    return msg.error();
  return fetch_request{*id, std::move(*msg)};
}

result<fetch_response> parse_fetch_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto size = opt(object, "size", {}, as_integer());
  if (!size)
    return size.error();
  auto body_len = get(object, "body_len", {}, as_integer());
  if (!body_len)
    return body_len.error();
  return fetch_response{*re, *size, *body_len};
}

result<delete_request> parse_delete_request(const json& object) {
  auto id = request_header(object, "delete");
  if (!id)
    return id.error();
  auto msg = get(object, mailbox_message_field, {}, as_message_id);
  if (!msg)
    return msg.error();
  return delete_request{*id, std::move(*msg)};
}

result<delete_response> parse_delete_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  return delete_response{*re};
}

json to_json(const list_request& request) {
  json j = {{"op", "list"}, {"id", request.id}};
  if (request.after)
    j["after"] = *request.after;
  return j;
}

json to_json(const list_response& response) {
  json messages = json::array();
  for (const auto& m : response.messages) {
    messages.push_back({{"id", m.id},
                        {"from", m.from.to_string()},
                        {"size", m.size},
                        {"received", m.received},
                        {"state", to_string(m.state)}});
  }
  json j = {{"op", "ok"}, {"re", response.re}, {"messages", std::move(messages)}};
  if (response.more)
    j["more"] = true;
  return j;
}

json to_json(const fetch_request& request) {
  json j = {{"op", "fetch"}, {"id", request.id}};
  j[mailbox_message_field] = request.msg;
  return j;
}

json to_json(const fetch_response& response) {
  json j = {{"op", "ok"}, {"re", response.re}, {"body_len", response.body_len}};
  if (response.size)
    j["size"] = *response.size;
  return j;
}

json to_json(const delete_request& request) {
  json j = {{"op", "delete"}, {"id", request.id}};
  j[mailbox_message_field] = request.msg;
  return j;
}

json to_json(const delete_response& response) {
  return {{"op", "ok"}, {"re", response.re}};
}

}  // namespace im2k::proto
