#include "common/store/fsync_count.hpp"

#include "common/metrics/registry.hpp"

namespace im2k::store {

namespace {

struct fsync_counters {
  metrics::counter& body;
  metrics::counter& dir;
  metrics::counter& sqlite;
};

metrics::counter& series(const char* kind) {
  return metrics::global().counter("im2k_store_fsyncs_total",
                                   "fsyncs of message bodies, directories and SQLite files.",
                                   {{"kind", kind}});
}

fsync_counters& counters() {
  // Never destroyed, like the global registry.
  static fsync_counters c{series("body"), series("dir"), series("sqlite")};
  return c;
}

}  // namespace

void count_fsync(fsync_kind kind) noexcept {
  auto& c = counters();
  switch (kind) {
    case fsync_kind::body:
      c.body.inc();
      return;
    case fsync_kind::dir:
      c.dir.inc();
      return;
    case fsync_kind::sqlite:
      c.sqlite.inc();
      return;
  }
}

void expose_fsync_counts() {
  counters();
}

}  // namespace im2k::store
