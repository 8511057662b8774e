// A daemon's Prometheus endpoint ([metrics] listen, in state.json), read before and after the
// measured part: the bench takes counters from it (fsyncs) that /proc cannot give.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace im2k::bench {

// The body of GET /metrics from "ADDRESS:PORT"; absent when nobody answers 200 in `timeout`.
std::optional<std::string> scrape_metrics(const std::string& address_port,
                                          std::chrono::milliseconds timeout);

// The samples of `family` in exposition text, by the value of their label `label`
// (`family{label="x"} 12` gives x -> 12). Absent when the family has no sample at all.
std::optional<std::map<std::string, double>> samples_by_label(std::string_view text,
                                                              std::string_view family,
                                                              std::string_view label);

}  // namespace im2k::bench
