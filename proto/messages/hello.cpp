#include "proto/messages/hello.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

result<hello_request> parse_hello_request(const json& object) {
  hello_request r;
  auto id = request_header(object, "hello");
  if (!id)
    return id.error();
  if (*id != 0)
    return codec_failure(codec_errc::out_of_range, "id", "hello id must be 0");
  auto version = get(object, "version", {}, as_integer(1, 65535));
  if (!version)
    return version.error();
  auto host = opt(object, "host", {}, as_host);
  if (!host)
    return host.error();
  auto client = opt(object, "client", {}, as_text(128, 1));
  if (!client)
    return client.error();
  r.id = *id;
  r.version = *version;
  r.host = std::move(*host);
  r.client = std::move(*client);
  return r;
}

result<hello_response> parse_hello_response(const json& object) {
  hello_response r;
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto version = get(object, "version", {}, as_integer(1, 65535));
  if (!version)
    return version.error();
  auto host = get(object, "host", {}, as_host);
  if (!host)
    return host.error();
  auto max = get(object, "max_message_size", {}, as_integer(1));
  if (!max)
    return max.error();
  r.re = *re;
  r.version = *version;
  r.host = std::move(*host);
  r.max_message_size = *max;
  return r;
}

json to_json(const hello_request& request) {
  json j = {{"op", "hello"}, {"id", request.id}, {"version", request.version}};
  if (request.host)
    j["host"] = *request.host;
  if (request.client)
    j["client"] = *request.client;
  return j;
}

json to_json(const hello_response& response) {
  return {{"op", "ok"},
          {"re", response.re},
          {"version", response.version},
          {"host", response.host},
          {"max_message_size", response.max_message_size}};
}

}  // namespace im2k::proto
