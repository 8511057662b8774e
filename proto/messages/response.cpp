#include "proto/messages/response.hpp"

#include "proto/fields.hpp"

namespace im2k::proto {

using namespace fields;

error_response make_error_response(std::optional<std::uint64_t> re, errc code,
                                   std::string message) {
  if (message.size() > max_text) {
    std::size_t cut = max_text;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80)
      --cut;
    message.resize(cut);
  }
  return {re, code, is_temporary(code), std::move(message)};
}

error_response make_error_response(std::optional<std::uint64_t> re, const codec_failure& failure) {
  return make_error_response(re, wire_code(failure.code), failure.describe());
}

result<error_response> parse_error_response(const json& object) {
  error_response r;
  auto op = get(object, "op", {}, as_text());
  if (!op)
    return op.error();
  if (*op != "error")
    return codec_failure(codec_errc::bad_syntax, "op", "\"error\" expected");
  auto re = require(object, "re", "re");
  if (!re)
    return re.error();
  if (!(*re)->is_null()) {
    auto n = integer(**re, "re");
    if (!n)
      return n.error();
    r.re = *n;
  }
  auto code = get(object, "code", {}, as_errc);
  if (!code)
    return code.error();
  const std::string& code_text = object.at("code").get_ref<const json::string_t&>();
  auto temporary = get(object, "temporary", {}, as_bool);
  if (!temporary)
    return temporary.error();
  auto message = get(object, "message", {}, as_text());
  if (!message)
    return message.error();
  r.code = *code;
  r.temporary = *temporary;
  r.message = std::move(*message);
  if (!errc_from_string(code_text)) {
    // [E-5]: keep the code the peer sent for operators; the flag as sent decides retries.
    r.message = make_error_response(r.re, errc::internal, code_text + ": " + r.message).message;
  }
  return r;
}

result<response> parse_response(const json& object) {
  auto op = get(object, "op", {}, as_text());
  if (!op)
    return op.error();
  if (*op == "error") {
    auto error = parse_error_response(object);
    if (!error)
      return error.error();
    return response(std::move(*error));
  }
  if (*op != "ok")
    return codec_failure(codec_errc::bad_syntax, "op", *op);
  auto re = response_re(object);
  if (!re)
    return re.error();
  return response(ok_response{*re, object});
}

json to_json(const error_response& response) {
  return {{"op", "error"},
          {"re", response.re ? json(*response.re) : json(nullptr)},
          {"code", to_string(response.code)},
          {"temporary", response.temporary},
          {"message", response.message}};
}

}  // namespace im2k::proto
