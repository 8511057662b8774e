#include "common/metrics/registry.hpp"

#include <mutex>
#include <set>
#include <stdexcept>

namespace im2k::metrics {

namespace {

bool is_name(std::string_view name, bool colon_allowed) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

void check_names(std::string_view name, metric_type type, const labels& l) {
  if (!is_name(name, true)) {
    throw std::logic_error("metrics: bad metric name \"" + std::string(name) + "\"");
  }
  std::set<std::string_view> seen;
  for (const auto& [label_name, value] : l) {
    // "__" names are Prometheus's own; "le" is the histogram bucket label.
    if (!is_name(label_name, false) || label_name.starts_with("__") ||
        (type == metric_type::histogram && label_name == "le") || !seen.insert(label_name).second) {
      throw std::logic_error("metrics: bad label name \"" + label_name + "\" on " +
                             std::string(name));
    }
  }
}

}  // namespace

std::string_view to_string(metric_type type) {
  switch (type) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

struct registry::series {
  std::unique_ptr<metrics::counter> counter;
  std::unique_ptr<metrics::gauge> gauge;
  std::unique_ptr<metrics::histogram> histogram;
  std::map<std::uint64_t, std::function<double()>> callbacks;

  bool has(metric_type type) const {
    switch (type) {
      case metric_type::counter:
        return counter != nullptr;
      case metric_type::gauge:
        return gauge != nullptr;
      case metric_type::histogram:
        return histogram != nullptr;
    }
    return false;
  }
};

struct registry::family {
  std::string help;
  metric_type type = metric_type::counter;
  std::vector<double> bounds;
  std::map<labels, series> by_labels;
  series refused;  // what callers get beyond max_series_: never exported
};

callback_handle::callback_handle(callback_handle&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}

callback_handle& callback_handle::operator=(callback_handle&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

callback_handle::~callback_handle() {
  reset();
}

void callback_handle::reset() {
  if (owner_ != nullptr) {
    std::exchange(owner_, nullptr)->remove_callback(id_);
  }
}

registry::registry(std::size_t max_series) : max_series_(max_series) {
  dropped_ = &counter("im2k_metrics_dropped_total",
                      "Metric series not created because their family had too many label sets.");
}

registry::~registry() = default;

registry::series& registry::find_or_add(std::string_view name, std::string_view help,
                                        metric_type type, const std::vector<double>* bounds,
                                        const labels& l) {
  {
    std::shared_lock lock(mutex_);
    auto f = families_.find(name);
    if (f != families_.end() && f->second->type == type &&
        (bounds == nullptr || *bounds == f->second->bounds)) {
      auto s = f->second->by_labels.find(l);
      if (s != f->second->by_labels.end() && s->second.has(type)) {
        return s->second;
      }
    }
  }
  check_names(name, type, l);
  std::unique_lock lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) {
    auto created = std::make_unique<family>();
    created->help = help;
    created->type = type;
    if (bounds != nullptr) {
      created->bounds = *bounds;
    }
    f = families_.emplace(std::string(name), std::move(created)).first;
  }
  family& fam = *f->second;
  if (fam.type != type || (bounds != nullptr && *bounds != fam.bounds)) {
    throw std::logic_error("metrics: " + std::string(name) + " registered twice differently");
  }
  auto s = fam.by_labels.find(l);
  series* target = nullptr;
  if (s != fam.by_labels.end()) {
    target = &s->second;
  } else if (fam.by_labels.size() < max_series_) {
    target = &fam.by_labels[l];
  } else {
    // Unbounded label values (a peer's words in a label) must not grow memory without end.
    if (dropped_ != nullptr) {
      dropped_->inc();
    }
    target = &fam.refused;
  }
  switch (type) {
    case metric_type::counter:
      if (!target->counter) {
        target->counter = std::make_unique<metrics::counter>();
      }
      break;
    case metric_type::gauge:
      if (!target->gauge) {
        target->gauge = std::make_unique<metrics::gauge>();
      }
      break;
    case metric_type::histogram:
      if (!target->histogram) {
        target->histogram = std::make_unique<metrics::histogram>(fam.bounds);
      }
      break;
  }
  return *target;
}

metrics::counter& registry::counter(std::string_view name, std::string_view help, const labels& l) {
  return *find_or_add(name, help, metric_type::counter, nullptr, l).counter;
}

metrics::gauge& registry::gauge(std::string_view name, std::string_view help, const labels& l) {
  return *find_or_add(name, help, metric_type::gauge, nullptr, l).gauge;
}

metrics::histogram& registry::histogram(std::string_view name, std::string_view help,
                                        const std::vector<double>& bounds, const labels& l) {
  // Validates the bounds before they are stored (throws std::invalid_argument).
  metrics::histogram check(bounds);
  return *find_or_add(name, help, metric_type::histogram, &bounds, l).histogram;
}

callback_handle registry::callback_gauge(std::string_view name, std::string_view help,
                                         const labels& l, std::function<double()> read) {
  return add_callback(name, help, metric_type::gauge, l, std::move(read));
}

callback_handle registry::callback_counter(std::string_view name, std::string_view help,
                                           const labels& l, std::function<double()> read) {
  return add_callback(name, help, metric_type::counter, l, std::move(read));
}

callback_handle registry::add_callback(std::string_view name, std::string_view help,
                                       metric_type type, const labels& l,
                                       std::function<double()> read) {
  check_names(name, type, l);
  std::unique_lock lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) {
    auto created = std::make_unique<family>();
    created->help = help;
    created->type = type;
    f = families_.emplace(std::string(name), std::move(created)).first;
  }
  family& fam = *f->second;
  if (fam.type != type) {
    throw std::logic_error("metrics: " + std::string(name) + " registered twice differently");
  }
  auto s = fam.by_labels.find(l);
  if (s == fam.by_labels.end()) {
    if (fam.by_labels.size() >= max_series_) {
      dropped_->inc();
      return {};
    }
    s = fam.by_labels.emplace(l, series{}).first;
  }
  const auto id = next_callback_++;
  s->second.callbacks.emplace(id, std::move(read));
  callback_owners_.emplace(id, &s->second);
  return callback_handle(this, id);
}

void registry::remove_callback(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  auto it = callback_owners_.find(id);
  if (it != callback_owners_.end()) {
    it->second->callbacks.erase(id);
    callback_owners_.erase(it);
  }
}

std::vector<family_snapshot> registry::collect() const {
  std::vector<family_snapshot> out;
  std::shared_lock lock(mutex_);
  for (const auto& [name, fam] : families_) {
    family_snapshot snap{name, fam->help, fam->type, fam->bounds, {}};
    for (const auto& [l, s] : fam->by_labels) {
      series_snapshot one{l, 0, {}, 0};
      bool present = !s.callbacks.empty();
      for (const auto& [id, read] : s.callbacks) {
        one.value += read();
      }
      if (s.counter) {
        present = true;
        one.value += static_cast<double>(s.counter->value());
      }
      if (s.gauge) {
        present = true;
        one.value += static_cast<double>(s.gauge->value());
      }
      if (s.histogram) {
        present = true;
        one.buckets = s.histogram->bucket_counts();
        for (std::size_t i = 1; i < one.buckets.size(); ++i) {
          one.buckets[i] += one.buckets[i - 1];
        }
        one.sum = s.histogram->sum();
      }
      if (present) {
        snap.series.push_back(std::move(one));
      }
    }
    if (!snap.series.empty()) {
      out.push_back(std::move(snap));
    }
  }
  return out;
}

registry& global() {
  // Never destroyed: handles in other static objects may outlive any destruction order.
  static registry* instance = new registry();
  return *instance;
}

void count(std::string_view name, std::string_view help, const labels& l) {
  global().counter(name, help, l).inc();
}

}  // namespace im2k::metrics
