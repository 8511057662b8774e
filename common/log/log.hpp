// Structured logs: one JSON object per line, one line per event, written through spdlog.
//
//   log::info("notify.accepted").kv("msg", id).kv("peer", host).kv("code", nullptr);
//   -> {"ts":"2026-11-22T13:45:01.123Z","level":"info","event":"notify.accepted","msg":"...",
//       "peer":"mx.beta.test","code":null}
//
// The line is written when the event is destroyed (the end of the statement) or by emit().
// Values are escaped by nlohmann::json and invalid UTF-8 is replaced by U+FFFD, so a string a
// peer sent can never break a line or forge another one. Safe to use from any thread.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

namespace im2k::log {

enum class level { debug, info, warn, error };

std::string_view to_string(level l);

// Events below this level are dropped (cheaply: their kv calls do nothing). Default info.
void set_min_level(level l);
level min_level();

// Where lines go; stderr by default. log_to_file appends to the file, creating it (0600
// permissions are left to the umask) and throws std::runtime_error if it cannot be opened
// (a start-up failure).
void log_to_stderr();
void log_to_file(const std::filesystem::path& path);

class event {
 public:
  event(level l, std::string_view name);
  ~event();
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  event& kv(std::string_view key, std::string_view value);
  event& kv(std::string_view key, const char* value);
  event& kv(std::string_view key, const std::string& value);
  event& kv(std::string_view key, bool value);
  event& kv(std::string_view key, double value);
  event& kv(std::string_view key, std::nullptr_t);
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) event& kv(std::string_view key,
                                                                       T value) {
    if (enabled_) {
      fields_[std::string(key)] = value;
    }
    return *this;
  }
  // "code": "<category>:<value> <message>" or null when the code is success.
  event& kv(std::string_view key, const boost::system::error_code& ec);
  // Any JSON value (an array of recipients, an object).
  event& kv_json(std::string_view key, nlohmann::ordered_json value);

  // Writes the line now; later calls and the destructor do nothing.
  void emit();

 private:
  bool enabled_;
  level level_;
  nlohmann::ordered_json fields_;
};

inline event debug(std::string_view name) {
  return event(level::debug, name);
}
inline event info(std::string_view name) {
  return event(level::info, name);
}
inline event warn(std::string_view name) {
  return event(level::warn, name);
}
inline event error(std::string_view name) {
  return event(level::error, name);
}

}  // namespace im2k::log
