#pragma once

#include <cstdint>

#include "core/ticks.hpp"

namespace redrund {

// The world clock: the only source of time for simulation code. It advances one tick at a
// time, driven either as fast as possible (virtual time) or by the wall clock (real time);
// everything a computer reads (os.clock, os.time, os.epoch, os.date) derives from it.
struct world_clock {
  tick_t now_ticks = 0;
  // Unix milliseconds at tick 0. Fixed in virtual time so runs repeat exactly.
  std::int64_t epoch_start_ms = 1'700'000'000'000;
  // Minecraft dayTime at tick 0 (0 is 06:00 on day 1).
  tick_t day_time_start_ticks = 0;

  std::int64_t utc_ms() const {
    return epoch_start_ms + static_cast<std::int64_t>(now_ticks) * 50;
  }
  tick_t day_time_ticks() const { return day_time_start_ticks + now_ticks; }
};

}  // namespace redrund
