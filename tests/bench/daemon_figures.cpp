#include "tests/bench/daemon_figures.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>

#include "tests/bench/metrics_scrape.hpp"
#include "tests/bench/rounding.hpp"

namespace im2k::bench {

namespace {

constexpr std::chrono::milliseconds scrape_timeout{5000};

nlohmann::json per(double total, std::size_t messages, int decimals) {
  if (messages == 0) {
    return nullptr;
  }
  return rounded(total / static_cast<double>(messages), decimals);
}

std::int64_t delta(std::uint64_t before, std::uint64_t after) {
  return static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before);
}

}  // namespace

daemon_snapshot snapshot_daemon(const daemon_ref& d, bool reset_peak) {
  const bool reset = reset_peak && reset_peak_rss(d.pid);
  daemon_snapshot s{sample_process(d.pid), reset, measure_state_dir(d.state_dir), std::nullopt};
  if (!d.metrics.empty()) {
    if (auto text = scrape_metrics(d.metrics, scrape_timeout)) {
      s.fsyncs = samples_by_label(*text, "im2k_store_fsyncs_total", "kind");
    }
  }
  return s;
}

nlohmann::json daemon_figures(const daemon_ref& d, const daemon_snapshot& before,
                              const daemon_snapshot& after, std::size_t messages) {
  nlohmann::json item = {{"host", d.host}, {"role", d.role}, {"pid", d.pid}};
  if (before.process && after.process) {
    const double cpu = after.process->cpu_seconds - before.process->cpu_seconds;
    item["cpu_seconds"] = rounded(cpu, 2);
    item["cpu_ms_per_message"] = per(cpu * 1000.0, messages, 3);
    item["peak_rss_kib"] = after.process->peak_rss_kib;
    item["peak_rss_before_kib"] = before.process->peak_rss_kib;
    item["peak_rss_growth_kib"] = delta(before.process->peak_rss_kib, after.process->peak_rss_kib);
    // Reset: peak_rss_kib is the run's own peak. Not reset: the peak of the process's life.
    item["peak_rss_of_run"] = before.peak_reset;
    item["rss_before_kib"] = before.process->rss_kib;
    item["rss_kib"] = after.process->rss_kib;
  } else {
    for (const char* key :
         {"cpu_seconds", "cpu_ms_per_message", "peak_rss_kib", "peak_rss_before_kib",
          "peak_rss_growth_kib", "rss_before_kib", "rss_kib"}) {
      item[key] = nullptr;
    }
  }
  item["bytes_before"] = before.disk.bytes;
  item["bytes_after"] = after.disk.bytes;
  item["bytes_per_message"] =
      per(static_cast<double>(delta(before.disk.bytes, after.disk.bytes)), messages, 1);
  item["body_files_before"] = before.disk.body_files;
  item["body_files_after"] = after.disk.body_files;
  item["body_bytes_before"] = before.disk.body_bytes;
  item["body_bytes_after"] = after.disk.body_bytes;
  item["body_bytes_per_message"] =
      per(static_cast<double>(delta(before.disk.body_bytes, after.disk.body_bytes)), messages, 1);
  if (before.fsyncs && after.fsyncs) {
    nlohmann::json kinds = nlohmann::json::object();
    double total = 0;
    for (const auto& [kind, value] : *after.fsyncs) {
      const auto was = before.fsyncs->find(kind);
      const double n = value - (was == before.fsyncs->end() ? 0.0 : was->second);
      kinds[kind] = n;
      total += n;
    }
    kinds["total"] = total;
    item["fsyncs"] = kinds;
    item["fsyncs_per_message"] = per(total, messages, 3);
  } else {
    item["fsyncs"] = nullptr;
    item["fsyncs_per_message"] = nullptr;
  }
  return item;
}

nlohmann::json per_message_by_role(const nlohmann::json& daemons, std::size_t messages) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* role : {"oms", "ims"}) {
    double cpu = 0;
    double bytes = 0;
    double body_bytes = 0;
    std::map<std::string, double> fsyncs;
    bool have_cpu = true;
    bool have_fsyncs = true;
    for (const auto& d : daemons) {
      if (d.at("role") != role) {
        continue;
      }
      have_cpu = have_cpu && d.at("cpu_seconds").is_number();
      if (d.at("cpu_seconds").is_number()) {
        cpu += d.at("cpu_seconds").get<double>();
      }
      bytes += static_cast<double>(d.at("bytes_after").get<std::int64_t>() -
                                   d.at("bytes_before").get<std::int64_t>());
      body_bytes += static_cast<double>(d.at("body_bytes_after").get<std::int64_t>() -
                                        d.at("body_bytes_before").get<std::int64_t>());
      have_fsyncs = have_fsyncs && d.at("fsyncs").is_object();
      if (d.at("fsyncs").is_object()) {
        for (const auto& [kind, n] : d.at("fsyncs").items()) {
          fsyncs[kind] += n.get<double>();
        }
      }
    }
    nlohmann::json r;
    r["cpu_ms"] = have_cpu ? per(cpu * 1000.0, messages, 3) : nlohmann::json(nullptr);
    r["bytes"] = per(bytes, messages, 1);
    r["body_bytes"] = per(body_bytes, messages, 1);
    if (have_fsyncs) {
      nlohmann::json f = nlohmann::json::object();
      for (const auto& [kind, n] : fsyncs) {
        f[kind] = per(n, messages, 3);
      }
      r["fsyncs"] = f;
    } else {
      r["fsyncs"] = nullptr;
    }
    out[role] = r;
  }
  return out;
}

}  // namespace im2k::bench
