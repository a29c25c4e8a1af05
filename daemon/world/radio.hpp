#pragma once

// CC's wireless range rule (WirelessModemPeripheral / WirelessNetwork), Lua-free.

#include <cmath>
#include <optional>
#include <string>

namespace redrund {

struct position {
  double x = 0, y = 0, z = 0;
};

inline double distance_between(const position& a, const position& b) {
  const double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

// The configurable knobs of the range rule; defaults are CC's (clear weather: the storm
// variants default to the same numbers, so weather is not simulated).
struct radio_config {
  double base_range_blocks = 64;         // modem_range
  double max_range_blocks = 384;         // modem_high_altitude_range
  double world_height_blocks = 320;      // the dimension's build height
  double altitude_threshold_blocks = 96; // range starts growing above this y
};

// A normal wireless modem's range at height y: `base` up to y=96, then growing linearly to
// `max` at the top of the world.
inline double wireless_range(const radio_config& radio, double y) {
  const double lo = radio.base_range_blocks, hi = radio.max_range_blocks;
  if (y <= radio.altitude_threshold_blocks || hi <= lo) return lo;
  const double span = (radio.world_height_blocks - 1) - radio.altitude_threshold_blocks;
  if (span <= 0) return hi;
  return lo + (y - radio.altitude_threshold_blocks) * (hi - lo) / span;
}

}  // namespace redrund
