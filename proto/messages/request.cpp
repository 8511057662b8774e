#include "proto/messages/request.hpp"

#include <string_view>

#include "proto/fields.hpp"

namespace im2k::proto {

namespace {

template <class T>
result<request> widen(result<T> parsed) {
  if (!parsed)
    return parsed.error();
  return request(std::move(*parsed));
}

}  // namespace

result<request> parse_request(const nlohmann::json& object) {
  auto op = fields::get(object, "op", {}, fields::as_text());
  if (!op)
    return op.error();
  const std::string_view name = *op;
  if (name == "hello")
    return widen(parse_hello_request(object));
  if (name == "notify")
    return widen(parse_notify_request(object));
  if (name == "pull")
    return widen(parse_pull_request(object));
  if (name == "ack")
    return widen(parse_ack_request(object));
  if (name == "auth")
    return widen(parse_auth_request(object));
  if (name == "submit")
    return widen(parse_submit_request(object));
  if (name == "status")
    return widen(parse_status_request(object));
  if (name == "recall")
    return widen(parse_recall_request(object));
  if (name == "sent")
    return widen(parse_sent_request(object));
  if (name == "list")
    return widen(parse_list_request(object));
  if (name == "fetch")
    return widen(parse_fetch_request(object));
  if (name == "delete")
    return widen(parse_delete_request(object));
  return codec_failure(codec_errc::unknown_op, "op", *op);
}

nlohmann::json to_json(const request& request) {
  return std::visit([](const auto& r) { return to_json(r); }, request);
}

std::uint64_t request_id(const request& request) {
  return std::visit([](const auto& r) { return r.id; }, request);
}

std::optional<std::uint64_t> peek_request_id(const nlohmann::json& object) {
  auto id = fields::request_id(object);
  if (!id)
    return std::nullopt;
  return *id;
}

}  // namespace im2k::proto
