#include "proto/messages/submit.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

result<submit_request> parse_submit_request(const json& object) {
  submit_request r;
  auto id = request_header(object, "submit");
  if (!id)
    return id.error();
  auto from = get(object, "from", {}, as_address);
  if (!from)
    return from.error();
  auto rcpt = get(object, "rcpt", {}, as_address_list(true));
  if (!rcpt)
    return rcpt.error();
  auto body_len = get(object, "body_len", {}, as_integer(1));
  if (!body_len)
    return body_len.error();
  r.id = *id;
  r.from = std::move(*from);
  r.rcpt = std::move(*rcpt);
  r.body_len = *body_len;
  return r;
}

result<submit_response> parse_submit_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  return submit_response{*re, std::move(*msg)};
}

json to_json(const submit_request& request) {
  json rcpt = json::array();
  for (const auto& a : request.rcpt)
    rcpt.push_back(a.to_string());
  return {{"op", "submit"},
          {"id", request.id},
          {"from", request.from.to_string()},
          {"rcpt", std::move(rcpt)},
          {"body_len", request.body_len}};
}

json to_json(const submit_response& response) {
  return {{"op", "ok"}, {"re", response.re}, {"msg", response.msg}};
}

}  // namespace im2k::proto
