// Figures in the report are rounded to a few decimals: more would be noise, and JSON readers
// should see 6669.2, not 6669.200000000001.
#pragma once

#include <cmath>

namespace im2k::bench {

// `v` to `decimals` places (0 to 6).
inline double rounded(double v, int decimals) {
  double scale = 1;
  for (int i = 0; i < decimals; ++i) {
    scale *= 10;
  }
  return std::round(v * scale) / scale;
}

}  // namespace im2k::bench
