// The Prometheus text exposition format 0.0.4: "# HELP" and "# TYPE" lines per family, one
// sample line per series, histograms as cumulative _bucket{le="..."} lines ending with +Inf,
// then _sum and _count.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/metrics/registry.hpp"

namespace im2k::metrics {

// The Content-Type of render()'s text.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string render(const std::vector<family_snapshot>& families);
// render(r.collect()).
std::string render(const registry& r);

// A label value with backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
// HELP text with backslash and newline escaped.
std::string escape_help(std::string_view text);
// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN", else the shortest form.
std::string format_value(double value);

}  // namespace im2k::metrics
