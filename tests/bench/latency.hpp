// Percentiles of a set of samples (nearest rank), for the latency figures.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace im2k::bench {

struct latency_summary {
  std::size_t count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

latency_summary summarize(std::vector<double> samples);

nlohmann::json to_json(const latency_summary& s);

}  // namespace im2k::bench
