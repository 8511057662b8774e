#include "proto/messages/auth.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

result<auth_request> parse_auth_request(const json& object) {
  auth_request r;
  auto id = request_header(object, "auth");
  if (!id)
    return id.error();
  auto user = get(object, "user", {}, as_address);
  if (!user)
    return user.error();
  auto password = opt(object, "password", {}, as_text());
  if (!password)
    return password.error();
  r.id = *id;
  r.user = std::move(*user);
  r.password = std::move(*password);
  return r;
}

result<auth_response> parse_auth_response(const json& object) {
  auto re = ok_re(object);
  if (!re)
    return re.error();
  auto user = get(object, "user", {}, as_address);
  if (!user)
    return user.error();
  return auth_response{*re, std::move(*user)};
}

json to_json(const auth_request& request) {
  json j = {{"op", "auth"}, {"id", request.id}, {"user", request.user.to_string()}};
  if (request.password)
    j["password"] = *request.password;
  return j;
}

json to_json(const auth_response& response) {
  return {{"op", "ok"}, {"re", response.re}, {"user", response.user.to_string()}};
}

}  // namespace im2k::proto
