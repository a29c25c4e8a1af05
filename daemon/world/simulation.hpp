#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "computer/computer.hpp"
#include "core/clock.hpp"

namespace redrund {

// The simulation core: owns the world clock and every computer, and moves time forward.
// Single-threaded (sim thread only); the network edge talks to it through queues. Computers
// are visited in id order and take one event each per pass, so a run is a pure function of
// its setup, seed and inputs.
class simulation {
 public:
  explicit simulation(world_clock start);

  computer& add_computer(computer_setup setup, output_sink& output);
  void remove_computer(std::uint32_t id);
  computer* find_computer(std::uint32_t id);
  const std::map<std::uint32_t, std::unique_ptr<computer>>& computers() const { return computers_; }

  const world_clock& clock() const { return clock_; }

  // Runs queued events, one per computer per pass, until every computer is idle or has used
  // its events_per_tick_max for this tick. Returns the number of events run.
  std::size_t run_ready();
  // True when some computer still has queued events (it hit its per-tick cap).
  bool any_pending_events() const;
  // Moves the clock to the next tick and fires timers and alarms.
  void advance_tick();
  // Virtual time: moves the clock so the next advance_tick lands on `tick`.
  void skip_to_before(tick_t tick);
  // The earliest tick at which a timer or alarm of any computer is due.
  std::optional<tick_t> next_due_tick() const;

 private:
  world_clock clock_;
  std::map<std::uint32_t, std::unique_ptr<computer>> computers_;
  std::map<std::uint32_t, std::size_t> events_this_tick_;
};

// Why a run stopped.
enum class run_end : std::uint8_t { condition_met, time_limit, nothing_left };

// Drives a simulation in virtual time: runs events, and when every computer is idle jumps
// straight to the next timer. Stops when `done` holds (checked after each batch of events),
// when nothing can ever happen again, or at `limit_ticks`.
run_end run_virtual(simulation& sim, const std::function<bool()>& done, tick_t limit_ticks);

}  // namespace redrund
