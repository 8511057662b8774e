#include "proto/messages/recall.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

result<recall_request> parse_recall_request(const json& object) {
  auto id = request_header(object, "recall");
  if (!id)
    return id.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  return recall_request{*id, std::move(*msg)};
}

result<recall_response> parse_recall_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  auto recalled = get(object, "recalled", {}, as_address_list(false));
  if (!recalled)
    return recalled.error();
  return recall_response{*re, std::move(*msg), std::move(*recalled)};
}

json to_json(const recall_request& request) {
  return {{"op", "recall"}, {"id", request.id}, {"msg", request.msg}};
}

json to_json(const recall_response& response) {
  json recalled = json::array();
  for (const auto& a : response.recalled)
    recalled.push_back(a.to_string());
  return {
      {"op", "ok"}, {"re", response.re}, {"msg", response.msg}, {"recalled", std::move(recalled)}};
}

}  // namespace im2k::proto
