#include "tests/bench/ims_log.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

namespace im2k::bench {

namespace {

// The message ids an event is about: `msg`, or each of `msgs`.
std::vector<std::string> msgs_of(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.contains("msg") && j.at("msg").is_string()) {
    out.push_back(j.at("msg").get<std::string>());
  }
  if (j.contains("msgs") && j.at("msgs").is_array()) {
    for (const auto& m : j.at("msgs")) {
      if (m.is_string()) {
        out.push_back(m.get<std::string>());
      } else if (m.is_object() && m.contains("msg") && m.at("msg").is_string()) {
        out.push_back(m.at("msg").get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace

std::optional<double> parse_log_ts(std::string_view ts) {
  if (ts.size() != 24 || ts[23] != 'Z') {
    return std::nullopt;
  }
  std::tm tm{};
  int ms = 0;
  const std::string text(ts);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t seconds = timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1)) {
    return std::nullopt;
  }
  return static_cast<double>(seconds) * 1000.0 + ms;
}

std::uint64_t log_offset(const std::filesystem::path& log) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(log, ec);
  return ec ? 0 : size;
}

void read_ims_log(const std::filesystem::path& log, std::uint64_t offset,
                  const std::set<std::string>& msgs, ims_events& into) {
  std::ifstream in(log);
  if (!in) {
    return;
  }
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    const bool stored = line.find("\"store.delivered\"") != std::string::npos;
    const bool acked = !stored && line.find("\"ack.sent\"") != std::string::npos;
    if (!stored && !acked) {
      continue;  // cheap filter before parsing
    }
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("ts") || !j.at("ts").is_string()) {
      continue;
    }
    const std::string event = j.value("event", "");
    if (event != "store.delivered" && event != "ack.sent") {
      continue;
    }
    const auto at = parse_log_ts(j.at("ts").get<std::string>());
    if (!at) {
      continue;
    }
    if (stored && j.contains("stored") && j.at("stored").is_number() && j.at("stored") == 0) {
      continue;  // every recipient refused: nothing was stored
    }
    const std::string domain = j.value("rcpt_domain", "");
    for (const auto& msg : msgs_of(j)) {
      if (!msgs.contains(msg)) {
        continue;
      }
      auto& by_domain = event == "store.delivered" ? into.stored[msg] : into.acked[msg];
      const auto [it, added] = by_domain.emplace(domain, *at);
      if (!added) {
        if (event == "store.delivered") {
          ++into.duplicate_stores;
        }
        // The first store; the last ack (a long recipient list is acked in parts).
        it->second =
            event == "store.delivered" ? std::min(it->second, *at) : std::max(it->second, *at);
      }
    }
  }
}

log_latencies match_sent(const ims_events& events, const std::vector<sent_message>& sent,
                         const std::set<std::string>& rcpt_domains) {
  log_latencies out;
  for (const auto& m : sent) {
    const auto stored = events.stored.find(m.msg);
    const auto acked = events.acked.find(m.msg);
    for (const auto& domain : rcpt_domains) {
      ++out.expected;
      if (stored != events.stored.end()) {
        if (const auto at = stored->second.find(domain); at != stored->second.end()) {
          out.stored_ms.push_back(at->second - m.base_unix_ms);
          out.last_stored_unix_ms = std::max(out.last_stored_unix_ms, at->second);
        }
      }
      if (acked != events.acked.end()) {
        if (const auto at = acked->second.find(domain); at != acked->second.end()) {
          out.acked_ms.push_back(at->second - m.base_unix_ms);
          out.last_acked_unix_ms = std::max(out.last_acked_unix_ms, at->second);
        }
      }
    }
  }
  return out;
}

}  // namespace im2k::bench
