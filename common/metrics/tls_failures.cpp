#include "common/metrics/tls_failures.hpp"

#include <mutex>
#include <string>
#include <vector>

#include "common/metrics/registry.hpp"
#include "common/tls/failure.hpp"

namespace im2k::metrics {

void expose_tls_failures() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never destroyed, like the global registry itself.
    auto* handles = new std::vector<callback_handle>();
    for (int i = 1; i < tls::failure_count; ++i) {  // 0 is failure::none
      const auto f = static_cast<tls::failure>(i);
      handles->push_back(global().callback_counter(
          "im2k_tls_failures_total", "TLS connections refused, by reason.",
          {{"reason", std::string(tls::to_string(f))}},
          [f] { return static_cast<double>(tls::tls_failures(f)); }));
    }
  });
}

}  // namespace im2k::metrics
