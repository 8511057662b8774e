#include "common/control/command_line.hpp"

#include <algorithm>
#include <ctime>
#include <iostream>

#include "common/control/control_client.hpp"
#include "common/control/reply.hpp"

namespace im2k::control {

int ask(std::string_view program, const std::filesystem::path& socket,
        const nlohmann::json& request, bool json,
        const std::function<void(const nlohmann::json&)>& print) {
  auto response = call(socket, request);
  if (!response) {
    std::cerr << program << ": cannot reach the daemon at " << socket.string() << ": "
              << response.error().message() << "\n";
    return 1;
  }
  const bool ok = is_ok(*response);
  if (json) {
    std::cout << to_line(*response);
  } else if (ok) {
    print(*response);
  }
  if (!ok) {
    std::cerr << program << ": " << text(response->value("code", nlohmann::json())) << ": "
              << text(response->value("message", nlohmann::json())) << "\n";
    return 1;
  }
  return 0;
}

std::string aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) {
        out.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out += "\n";
  }
  return out;
}

std::string time_text(const nlohmann::json& unix_seconds) {
  if (!unix_seconds.is_number_integer()) {
    return "-";
  }
  const std::time_t t = unix_seconds.get<std::int64_t>();
  std::tm utc{};
  if (!::gmtime_r(&t, &utc)) {
    return "-";
  }
  char buffer[32];
  if (std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%SZ", &utc) == 0) {
    return "-";
  }
  return buffer;
}

std::string text(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_null()) {
    return "-";
  }
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace im2k::control
