#include "proto/messages/notify.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

std::string_view to_string(rcpt_status status) {
  switch (status) {
    case rcpt_status::accepted:
      return "accepted";
    case rcpt_status::rejected:
      return "rejected";
    case rcpt_status::deferred:
      return "deferred";
  }
  return "deferred";
}

result<notify_request> parse_notify_request(const json& object) {
  notify_request r;
  auto id = request_header(object, "notify");
  if (!id)
    return id.error();
  auto msg = get(object, "msg", {}, as_message_id);
  if (!msg)
    return msg.error();
  auto from = get(object, "from", {}, as_address);
  if (!from)
    return from.error();
  auto rcpt = get(object, "rcpt", {}, as_address_list(true));
  if (!rcpt)
    return rcpt.error();
  if (rcpt->size() > max_notify_recipients) {
    return codec_failure(codec_errc::bad_count, "rcpt", std::to_string(rcpt->size()) + " > 100");
  }
  for (std::size_t i = 1; i < rcpt->size(); ++i) {
    if ((*rcpt)[i].domain != (*rcpt)[0].domain) {
      return codec_failure(codec_errc::mixed_domains, join("rcpt", i), (*rcpt)[i].domain);
    }
  }
  auto size = get(object, "size", {}, as_integer(1));
  if (!size)
    return size.error();
  auto digest = get(object, "digest", {}, as_digest);
  if (!digest)
    return digest.error();
  auto token = get(object, "token", {}, as_token);
  if (!token)
    return token.error();
  auto expires = get(object, "expires", {}, as_integer());
  if (!expires)
    return expires.error();
  auto stamp = opt(object, "stamp", {}, as_text());
  if (!stamp)
    return stamp.error();
  r.id = *id;
  r.msg = std::move(*msg);
  r.from = std::move(*from);
  r.rcpt = std::move(*rcpt);
  r.size = *size;
  r.digest = std::move(*digest);
  r.token = std::move(*token);
  r.expires = *expires;
  r.stamp = std::move(*stamp);
  return r;
}

namespace {

result<notify_result> parse_result(const json& value, const std::string& path) {
  notify_result r;
  auto object = fields::object(value, path);
  if (!object)
    return object.error();
  auto rcpt = get(value, "rcpt", path, as_address);
  if (!rcpt)
    return rcpt.error();
  auto status = get(value, "status", path, as_text());
  if (!status)
    return status.error();
  if (*status == "accepted") {
    r.status = rcpt_status::accepted;
  } else if (*status == "rejected") {
    r.status = rcpt_status::rejected;
  } else if (*status == "deferred") {
    r.status = rcpt_status::deferred;
  } else {
    return codec_failure(codec_errc::bad_syntax, join(path, "status"), *status);
  }
  if (r.status == rcpt_status::accepted) {
    auto code = opt(value, "code", path, as_errc);
    if (!code)
      return code.error();
    r.code = *code;
  } else {
    auto code = get(value, "code", path, as_errc);
    if (!code)
      return code.error();
    r.code = *code;
  }
  auto message = opt(value, "message", path, as_text());
  if (!message)
    return message.error();
  r.rcpt = std::move(*rcpt);
  r.message = std::move(*message);
  return r;
}

}  // namespace

result<notify_response> parse_notify_response(const json& object) {
  notify_response r;
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto results = get(object, "results", {}, as_array);
  if (!results)
    return results.error();
  for (std::size_t i = 0; i < (*results)->size(); ++i) {
    auto one = parse_result((**results)[i], join("results", i));
    if (!one)
      return one.error();
    r.results.push_back(std::move(*one));
  }
  r.re = *re;
  return r;
}

json to_json(const notify_request& request) {
  json rcpt = json::array();
  for (const auto& a : request.rcpt)
    rcpt.push_back(a.to_string());
  json j = {{"op", "notify"},
            {"id", request.id},
            {"msg", request.msg},
            {"from", request.from.to_string()},
            {"rcpt", std::move(rcpt)},
            {"size", request.size},
            {"digest", request.digest},
            {"token", request.token},
            {"expires", request.expires}};
  if (request.stamp)
    j["stamp"] = *request.stamp;
  return j;
}

json to_json(const notify_response& response) {
  json results = json::array();
  for (const auto& r : response.results) {
    json one = {{"rcpt", r.rcpt.to_string()}, {"status", to_string(r.status)}};
    if (r.code)
      one["code"] = to_string(*r.code);
    if (r.message)
      one["message"] = *r.message;
    results.push_back(std::move(one));
  }
  return {{"op", "ok"}, {"re", response.re}, {"results", std::move(results)}};
}

}  // namespace im2k::proto
