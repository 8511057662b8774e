#include "proto/messages/ack.hpp"

#include "proto/fields.hpp"

#include <set>
#include <string>

namespace im2k::proto {

using namespace fields;

result<ack_request> parse_ack_request(const json& object) {
  ack_request r;
  auto id = request_header(object, "ack");
  if (!id)
    return id.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  auto domain = get(object, "rcpt_domain", {}, as_host);
  if (!domain)
    return domain.error();
  auto stored = get(object, "stored", {}, as_address_list(false));
  if (!stored)
    return stored.error();
  auto refused = get(object, "refused", {}, as_array);
  if (!refused)
    return refused.error();
  for (std::size_t i = 0; i < (*refused)->size(); ++i) {
    const json& one = (**refused)[i];
    const std::string path = join("refused", i);
    auto is_object = fields::object(one, path);
    if (!is_object)
      return is_object.error();
    auto rcpt = get(one, "rcpt", path, as_address);
    if (!rcpt)
      return rcpt.error();
    auto code = get(one, "code", path, as_errc);
    if (!code)
      return code.error();
    auto message = opt(one, "message", path, as_text());
    if (!message)
      return message.error();
    r.refused.push_back({std::move(*rcpt), *code, message->value_or("")});
  }
  // an address appears at most once in one ack, in one list or across both, so that an
  // ack can never say both "stored" and "refused" for the same recipient.
  std::set<std::string> seen;
  for (std::size_t i = 0; i < stored->size(); ++i) {
    if (!seen.insert(to_lower((*stored)[i].to_string())).second)
      return codec_failure(codec_errc::duplicate_value, join("stored", i),
                           (*stored)[i].to_string());
  }
  for (std::size_t i = 0; i < r.refused.size(); ++i) {
    if (!seen.insert(to_lower(r.refused[i].rcpt.to_string())).second)
      return codec_failure(codec_errc::duplicate_value, join("refused", i) + ".rcpt",
                           r.refused[i].rcpt.to_string());
  }
  r.id = *id;
  r.msg = std::move(*msg);
  r.rcpt_domain = std::move(*domain);
  r.stored = std::move(*stored);
  return r;
}

result<ack_response> parse_ack_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  return ack_response{*re};
}

json to_json(const ack_request& request) {
  json stored = json::array();
  for (const auto& a : request.stored)
    stored.push_back(a.to_string());
  json refused = json::array();
  for (const auto& r : request.refused) {
    refused.push_back(
        {{"rcpt", r.rcpt.to_string()}, {"code", to_string(r.code)}, {"message", r.message}});
  }
  return {{"op", "ack"},
          {"id", request.id},
          {"msg", request.msg},
          {"rcpt_domain", request.rcpt_domain},
          {"stored", std::move(stored)},
          {"refused", std::move(refused)}};
}

json to_json(const ack_response& response) {
  return {{"op", "ok"}, {"re", response.re}};
}

}  // namespace im2k::proto
