// What each daemon spent on the run: CPU and memory from /proc, the bytes under its state
// directory, and its fsyncs from its metrics endpoint (im2k_store_fsyncs_total), sampled before
// and after the measured part and turned into per-message figures.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/bench/process_stats.hpp"

namespace im2k::bench {

struct daemon_ref {
  std::string host;
  std::string role;  // "oms" or "ims"
  int pid = 0;
  std::filesystem::path state_dir;
  std::string metrics;  // "ADDRESS:PORT", empty if none
};

struct daemon_snapshot {
  std::optional<process_sample> process;
  bool peak_reset = false;  // VmHWM was reset just before the sample (reset_peak_rss)
  disk_usage disk;
  std::optional<std::map<std::string, double>> fsyncs;  // by kind; absent if not exported
};

// With `reset_peak`, the daemon's VmHWM is first set back to its RSS (the run's baseline).
daemon_snapshot snapshot_daemon(const daemon_ref& d, bool reset_peak);

// One daemon's item of the report's `daemons` (fields in tests/bench/README.md), per message
// of `messages`.
nlohmann::json daemon_figures(const daemon_ref& d, const daemon_snapshot& before,
                              const daemon_snapshot& after, std::size_t messages);

// The report's `per_message`: the daemons' figures summed by role, per message.
nlohmann::json per_message_by_role(const nlohmann::json& daemons, std::size_t messages);

}  // namespace im2k::bench
