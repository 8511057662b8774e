#include "common/control/reply.hpp"

#include <string>

namespace im2k::control {

nlohmann::json ok_reply(nlohmann::json fields) {
  nlohmann::json out = nlohmann::json::object();
  out["ok"] = true;
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) {
      out[key] = std::move(value);
    }
  }
  return out;
}

nlohmann::json error_reply(proto::errc code, std::string_view message) {
  nlohmann::json out = nlohmann::json::object();
  out["ok"] = false;
  out["code"] = std::string(proto::to_string(code));
  out["message"] = std::string(message);
  return out;
}

bool is_ok(const nlohmann::json& response) {
  if (!response.is_object()) {
    return false;
  }
  auto it = response.find("ok");
  return it != response.end() && it->is_boolean() && it->get<bool>();
}

std::string to_line(const nlohmann::json& object) {
  // Values may hold text a peer sent once (an IMS's refusal message): never let it break a line.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace im2k::control
