#pragma once

#include <cstdint>

namespace redrund {

// Simulated time is counted in game ticks; CC runs 20 ticks per second.
using tick_t = std::uint64_t;

inline constexpr tick_t ticks_per_second = 20;
inline constexpr double seconds_per_tick = 0.05;

// Minecraft's day is 24000 ticks; CC's in-game clock is derived from it.
inline constexpr tick_t ticks_per_day = 24000;

}  // namespace redrund
