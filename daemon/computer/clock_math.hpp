#pragma once

// CC's clock arithmetic (OSAPI), Lua-free: in-game time and day from the world clock, timer
// lengths, alarm targets.

#include <cmath>
#include <cstdint>

#include "core/clock.hpp"

namespace redrund {

// In-game ticks since day 1 00:00 (Minecraft's dayTime 0 is 06:00).
inline tick_t ingame_ticks(const world_clock& clock) { return clock.day_time_ticks() + 6000; }

// os.time("ingame"): hours, 0 <= h < 24.
inline double ingame_hours(tick_t ticks) {
  return static_cast<double>(ticks % ticks_per_day) / 1000.0;
}

// os.day("ingame"): day 1 is the first day.
inline std::int64_t ingame_day(tick_t ticks) { return static_cast<std::int64_t>(ticks / ticks_per_day) + 1; }

// os.startTimer: Math.round(seconds / 0.05), round half up, as CC's code (not its docs).
// Saturates, as Java's Math.round does, far beyond any timer that could fire; NaN is 0.
inline std::int64_t timer_ticks(double seconds) {
  constexpr double ticks_max = 4.0e18;  // below INT64_MAX with room for the current tick
  const double ticks = std::floor(seconds / seconds_per_tick + 0.5);
  if (std::isnan(ticks)) return 0;
  if (ticks >= ticks_max) return static_cast<std::int64_t>(ticks_max);
  if (ticks <= -ticks_max) return -static_cast<std::int64_t>(ticks_max);
  return static_cast<std::int64_t>(ticks);
}

// os.setAlarm(hour): due today if hour is still ahead, else tomorrow (equal means tomorrow).
inline tick_t alarm_target(tick_t now_ingame, double hour) {
  const auto day_start = now_ingame - now_ingame % ticks_per_day;
  const auto target_in_day = static_cast<tick_t>(std::llround(hour * 1000.0));
  const bool today = hour > ingame_hours(now_ingame);
  return day_start + target_in_day + (today ? 0 : ticks_per_day);
}

}  // namespace redrund
