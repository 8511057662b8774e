#include "tests/bench/latency.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tests/bench/rounding.hpp"

namespace im2k::bench {

namespace {

// The smallest sample with at least q of all samples at or below it.
double nearest_rank(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

latency_summary summarize(std::vector<double> samples) {
  latency_summary s;
  s.count = samples.size();
  if (samples.empty()) {
    return s;
  }
  std::sort(samples.begin(), samples.end());
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  s.p50 = nearest_rank(samples, 0.50);
  s.p90 = nearest_rank(samples, 0.90);
  s.p99 = nearest_rank(samples, 0.99);
  s.max = samples.back();
  return s;
}

nlohmann::json to_json(const latency_summary& s) {
  return {{"count", s.count},         {"mean", rounded(s.mean, 3)}, {"p50", rounded(s.p50, 3)},
          {"p90", rounded(s.p90, 3)}, {"p99", rounded(s.p99, 3)},   {"max", rounded(s.max, 3)}};
}

}  // namespace im2k::bench
