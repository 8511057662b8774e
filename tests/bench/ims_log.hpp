// The recipient side's own record of when a message was stored: every IMS logs one JSON line
// per event with a millisecond `ts` (common/log), `store.delivered` once the body and its rows
// are durable and `ack.sent` once the OMS took the ack. Read after the run and matched to the
// bench's submit times (the same machine clock), they time submit -> stored to the millisecond
// without asking the OMS anything.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/bench/load_run.hpp"

namespace im2k::bench {

// "2026-11-22T13:45:01.123Z" as milliseconds since the epoch; absent if malformed.
std::optional<double> parse_log_ts(std::string_view ts);

struct ims_events {
  // msg -> recipient domain -> ms since the epoch: the first store.delivered (with a recipient
  // stored), the last ack.sent.
  std::map<std::string, std::map<std::string, double>> stored;
  std::map<std::string, std::map<std::string, double>> acked;
  // store.delivered seen again for a (msg, recipient domain) already stored.
  std::size_t duplicate_stores = 0;
};

// The size of `log` now (0 if absent): where the lines of the run will start.
std::uint64_t log_offset(const std::filesystem::path& log);

// Adds the `store.delivered` and `ack.sent` events about `msgs` in `log` from byte `offset`
// on. An `ack.sent` naming several messages (`msgs`: ids or objects with `msg`) counts for each.
void read_ims_log(const std::filesystem::path& log, std::uint64_t offset,
                  const std::set<std::string>& msgs, ims_events& into);

// The sent messages' times from the logs: per (message, recipient domain), the milliseconds from
// its base to its store.delivered and to its ack.sent.
struct log_latencies {
  std::size_t expected = 0;  // (message, recipient domain) pairs
  std::vector<double> stored_ms;
  std::vector<double> acked_ms;
  double last_stored_unix_ms = 0;
  double last_acked_unix_ms = 0;
};

log_latencies match_sent(const ims_events& events, const std::vector<sent_message>& sent,
                         const std::set<std::string>& rcpt_domains);

}  // namespace im2k::bench
