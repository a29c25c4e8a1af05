#pragma once

#include <cstddef>
#include <cstdint>

namespace redrund {

// Limits of one simulated computer. Every queue, buffer and loop a computer owns has its
// maximum here; defaults follow CC: Tweaked where it has one.
struct computer_limits {
  // Lua allocations beyond this fail with "not enough memory" in that computer only.
  std::size_t memory_bytes_max = 32 * 1024 * 1024;
  // CC's ComputerExecutor.QUEUE_LIMIT: events beyond it are dropped (and counted).
  std::size_t event_queue_max = 256;
  // Events one computer may process in one tick before the clock moves on, so a program
  // that queues and pulls events forever still lets simulated time advance.
  std::size_t events_per_tick_max = 1024;
  // "Too long without yielding": CC allows 7 s of continuous execution, then hard-aborts
  // 1.5 s later. Execution time is counted in VM instructions so runs are deterministic;
  // 10 million instructions stand for one second of CC execution.
  std::uint64_t timeout_soft_instructions = 70'000'000;
  std::uint64_t timeout_hard_instructions = 15'000'000;
  // How often the instruction-count hook runs; the timeout is exact to within this.
  int hook_interval_instructions = 10'000;
  // Preemption (0: off). A run that goes this many VM instructions without yielding is paused
  // at the next point where it can be, and continued after other computers have had their
  // turn, at most `slices_per_tick_max` slices per tick: a busy computer then takes simulated
  // time, as CC's computer threads take real time, and cannot hold up the others (or, in
  // `redrund serve`, the clients). The pause is invisible to the program. Counted in
  // instructions, so runs stay deterministic.
  std::uint64_t slice_instructions = 0;
  std::size_t slices_per_tick_max = 2;
  // CC's default computer space limit (computer_space_limit = 1000000 bytes).
  std::uint64_t disk_capacity_bytes = 1'000'000;
  // CC's maximum_open_files.
  std::size_t open_files_max = 128;
  // Values crossing between computers (events, messages): nesting and size caps.
  std::size_t value_depth_max = 256;
  std::size_t value_bytes_max = 16 * 1024 * 1024;
  // The headless terminal; CC's computer terminal is 51x19.
  int terminal_width = 51;
  int terminal_height = 19;
  // Longest single output line kept; longer lines are cut (and counted).
  std::size_t output_line_bytes_max = 64 * 1024;
};

}  // namespace redrund
