#include "proto/messages/pull.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

result<pull_request> parse_pull_request(const json& object) {
  pull_request r;
  auto id = request_header(object, "pull");
  if (!id)
    return id.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  auto token = get(object, "token", {}, as_token);
  if (!token)
    return token.error();
  auto domain = get(object, "rcpt_domain", {}, as_host);
  if (!domain)
    return domain.error();
  r.id = *id;
  r.msg = std::move(*msg);
  r.token = std::move(*token);
  r.rcpt_domain = std::move(*domain);
  return r;
}

result<pull_response> parse_pull_response(const json& object) {
  pull_response r;
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto size = get(object, "size", {}, as_integer());
  if (!size)
    return size.error();
  auto digest = get(object, "digest", {}, as_digest);
  if (!digest)
    return digest.error();
  auto body_len = get(object, "body_len", {}, as_integer());
  if (!body_len)
    return body_len.error();
  if (*body_len != *size) {
    return codec_failure(codec_errc::out_of_range, "body_len", "not equal to size");
  }
  r.re = *re;
  r.size = *size;
  r.digest = std::move(*digest);
  r.body_len = *body_len;
  return r;
}

json to_json(const pull_request& request) {
  return {{"op", "pull"},
          {"id", request.id},
          {"msg", request.msg},
          {"token", request.token},
          {"rcpt_domain", request.rcpt_domain}};
}

json to_json(const pull_response& response) {
  return {{"op", "ok"},
          {"re", response.re},
          {"size", response.size},
          {"digest", response.digest},
          {"body_len", response.body_len}};
}

}  // namespace im2k::proto
