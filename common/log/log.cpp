#include "common/log/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace im2k::log {

namespace {

std::atomic<level> minimum{level::info};

std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> current_logger;  // guarded by logger_mutex

std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("im2k", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  // Every line reaches the file at once: the last lines before a crash matter most.
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::shared_ptr<spdlog::logger> get_logger() {
  std::lock_guard lock(logger_mutex);
  if (!current_logger) {
    current_logger = make_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  return current_logger;
}

spdlog::level::level_enum to_spdlog(level l) {
  switch (l) {
    case level::debug:
      return spdlog::level::debug;
    case level::info:
      return spdlog::level::info;
    case level::warn:
      return spdlog::level::warn;
    case level::error:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

// "2026-11-22T13:45:01.123Z"
std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

}  // namespace

std::string_view to_string(level l) {
  switch (l) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "error";
}

void set_min_level(level l) {
  minimum.store(l);
}
level min_level() {
  return minimum.load();
}

void log_to_stderr() {
  auto logger = make_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  std::lock_guard lock(logger_mutex);
  current_logger = std::move(logger);
}

void log_to_file(const std::filesystem::path& path) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    logger = make_logger(std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string()));
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("cannot open log file " + path.string() + ": " + e.what());
  }
  std::lock_guard lock(logger_mutex);
  current_logger = std::move(logger);
}

event::event(level l, std::string_view name)
    : enabled_(l >= minimum.load()), level_(l), fields_(nlohmann::ordered_json::object()) {
  if (enabled_) {
    fields_["ts"] = utc_timestamp();
    fields_["level"] = std::string(to_string(l));
    fields_["event"] = std::string(name);
  }
}

event::~event() {
  try {
    emit();
  } catch (...) {
    // A log line must never take the process down.
  }
}

event& event::kv(std::string_view key, std::string_view value) {
  if (enabled_) {
    fields_[std::string(key)] = std::string(value);
  }
  return *this;
}

event& event::kv(std::string_view key, const char* value) {
  if (value == nullptr) {
    return kv(key, nullptr);
  }
  return kv(key, std::string_view(value));
}

event& event::kv(std::string_view key, const std::string& value) {
  return kv(key, std::string_view(value));
}

event& event::kv(std::string_view key, bool value) {
  if (enabled_) {
    fields_[std::string(key)] = value;
  }
  return *this;
}

event& event::kv(std::string_view key, double value) {
  if (enabled_) {
    fields_[std::string(key)] = value;
  }
  return *this;
}

event& event::kv(std::string_view key, std::nullptr_t) {
  if (enabled_) {
    fields_[std::string(key)] = nullptr;
  }
  return *this;
}

event& event::kv(std::string_view key, const boost::system::error_code& ec) {
  if (!enabled_) {
    return *this;
  }
  if (!ec) {
    return kv(key, nullptr);
  }
  return kv(key, std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " " +
                     ec.message());
}

event& event::kv_json(std::string_view key, nlohmann::ordered_json value) {
  if (enabled_) {
    fields_[std::string(key)] = std::move(value);
  }
  return *this;
}

void event::emit() {
  if (!enabled_) {
    return;
  }
  enabled_ = false;
  std::string line = fields_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  get_logger()->log(to_spdlog(level_), spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace im2k::log
