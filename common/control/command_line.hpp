// What `im2k-oms queue` and `im2k-ims queue` share: asking the daemon over its control socket
// and printing the answer, as aligned columns for people or as the daemon's JSON for scripts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace im2k::control {

// Sends `request` to the daemon at `socket`. With `json`, prints the response object (one line)
// on stdout, whatever it says; otherwise prints an ok response through `print`. An error
// response goes to stderr as "PROGRAM: CODE: MESSAGE"; a daemon that cannot be reached as
// "PROGRAM: cannot reach the daemon at SOCKET: WHY". Returns the exit code: 0 for ok, else 1.
int ask(std::string_view program, const std::filesystem::path& socket,
        const nlohmann::json& request, bool json,
        const std::function<void(const nlohmann::json&)>& print);

// Rows of cells printed as columns separated by two spaces, each as wide as its widest cell
// (the last column is not padded).
std::string aligned(const std::vector<std::vector<std::string>>& rows);

// Unix seconds as "2026-11-22 16:30:05Z"; "-" for null or a missing value.
std::string time_text(const nlohmann::json& unix_seconds);
// A string or number as text; "-" for null or a missing value.
std::string text(const nlohmann::json& value);

}  // namespace im2k::control
