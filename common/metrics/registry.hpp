// The process's metrics: families of counters, gauges and histograms, each family one name,
// help text and type, with one series per label set. Labels are fixed when a series is created;
// keep the returned reference and increment it (atomics, no lock):
//
//   auto& accepted = metrics::global().counter("im2k_notify_total", "Notify results.",
//                                             {{"result", "accepted"}});
//   accepted.inc();
//
// Looking a series up again (for labels known only at run time) takes a shared lock. Label sets
// are bounded: beyond max_series per family a new combination is refused, counted in
// im2k_metrics_dropped_total, and the caller gets a series that is never exported.
//
// Values kept elsewhere (spool counts, per-reason TLS counters) are callbacks evaluated at
// scrape time, registered for as long as the returned callback_handle lives. A callback runs on
// the scraping thread (the daemon's event loop) with the registry locked: it must be quick and
// must not use the registry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics/counter.hpp"
#include "common/metrics/gauge.hpp"
#include "common/metrics/histogram.hpp"

namespace im2k::metrics {

using label = std::pair<std::string, std::string>;  // name, value
using labels = std::vector<label>;

enum class metric_type { counter, gauge, histogram };
std::string_view to_string(metric_type type);

// What a scrape sees of one series.
struct series_snapshot {
  metrics::labels labels;
  double value = 0;                    // counter, gauge
  std::vector<std::uint64_t> buckets;  // histogram: cumulative, one per bound, then +Inf
  double sum = 0;                      // histogram
};

struct family_snapshot {
  std::string name;
  std::string help;
  metric_type type = metric_type::counter;
  std::vector<double> bounds;  // histogram
  std::vector<series_snapshot> series;
};

class registry;

// Keeps one callback registered; moving transfers it, destruction removes it.
class callback_handle {
 public:
  callback_handle() = default;
  callback_handle(callback_handle&& other) noexcept;
  callback_handle& operator=(callback_handle&& other) noexcept;
  ~callback_handle();
  void reset();
  explicit operator bool() const { return owner_ != nullptr; }

 private:
  friend class registry;
  callback_handle(registry* owner, std::uint64_t id) : owner_(owner), id_(id) {}
  registry* owner_ = nullptr;
  std::uint64_t id_ = 0;
};

class registry {
 public:
  static constexpr std::size_t default_max_series = 1000;

  explicit registry(std::size_t max_series = default_max_series);
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // The series of `name` with `labels` (in the order given), created on first use. A name
  // already used with another type or other histogram bounds, or a name or label name that
  // Prometheus would refuse, throws std::logic_error (a programming error).
  metrics::counter& counter(std::string_view name, std::string_view help, const labels& l = {});
  metrics::gauge& gauge(std::string_view name, std::string_view help, const labels& l = {});
  metrics::histogram& histogram(std::string_view name, std::string_view help,
                                const std::vector<double>& bounds, const labels& l = {});

  // A series whose value is `read()` at scrape time. Several callbacks on one series add up
  // (two servers in one test process). An empty handle when the label set was refused.
  [[nodiscard]] callback_handle callback_gauge(std::string_view name, std::string_view help,
                                               const labels& l, std::function<double()> read);
  [[nodiscard]] callback_handle callback_counter(std::string_view name, std::string_view help,
                                                 const labels& l, std::function<double()> read);

  // Every family with at least one series, by name; series by label set. Runs the callbacks.
  std::vector<family_snapshot> collect() const;

  // Label sets refused so far.
  std::uint64_t dropped() const { return dropped_->value(); }

 private:
  struct series;
  struct family;
  friend class callback_handle;

  series& find_or_add(std::string_view name, std::string_view help, metric_type type,
                      const std::vector<double>* bounds, const labels& l);
  callback_handle add_callback(std::string_view name, std::string_view help, metric_type type,
                               const labels& l, std::function<double()> read);
  void remove_callback(std::uint64_t id);

  const std::size_t max_series_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<family>, std::less<>> families_;
  std::uint64_t next_callback_ = 1;
  std::map<std::uint64_t, series*> callback_owners_;  // callback id -> its series
  metrics::counter* dropped_ = nullptr;
};

// The process-wide registry the daemons export.
registry& global();

// global().counter(name, help, l).inc(): for labels known only at the moment of counting.
void count(std::string_view name, std::string_view help, const labels& l);

}  // namespace im2k::metrics
