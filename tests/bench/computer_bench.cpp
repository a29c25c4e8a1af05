// Benchmarks for one simulated computer (figures go in the README):
//  1. events per second through os.pullEvent in a booted computer, as a ratio to a bare
//     lua_resume loop that pushes the same event name from C, measured in the same run;
//  2. memory of one idle booted computer (Lua allocation) and RSS of 1,000 of them;
//  3. boot time of one computer.
// `--smoke` runs tiny sizes so ctest keeps the benchmark building and running.

#include <lua.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "support/sim_fixture.hpp"

namespace {

using redrund::bench::measured_rate;
using redrund::bench::rss_kib;
using redrund::bench::stopwatch;

// Baseline: resume a coroutine that yields forever, passing an event name from C.
measured_rate bare_resume_rate(long iterations) {
  lua_State* L = luaL_newstate();
  luaL_requiref(L, "_G", luaopen_base, 1);
  luaL_requiref(L, "coroutine", luaopen_coroutine, 1);
  lua_settop(L, 0);
  lua_State* co = lua_newthread(L);
  luaL_loadstring(co, "while true do coroutine.yield() end");
  int results = 0;
  lua_resume(co, L, 0, &results);
  const stopwatch timer;
  for (long i = 0; i < iterations; ++i) {
    lua_pushliteral(co, "bench");
    lua_resume(co, L, 1, &results);
    lua_pop(co, results);
  }
  const measured_rate rate{static_cast<double>(iterations), timer.wall_seconds(), timer.cpu_seconds()};
  lua_close(L);
  return rate;
}

// A booted computer whose program pulls "bench" events forever and counts them; events come
// from C++. A "report" event afterwards makes it print the count, which must be every event.
measured_rate computer_event_rate(long iterations, redrund::bench::verdict& checks) {
  redrund::testing::sim_fixture f;
  auto& c = f.add(0, "local n = 0 while true do if os.pullEvent() == 'bench' then n = n + 1 "
                     "else print('received ' .. n) end end");
  f.sim().run_ready();
  const stopwatch timer;
  for (long i = 0; i < iterations; ++i) {
    c.queue_event(redrund::event{"bench", {}});
    c.run_events(1);
  }
  const measured_rate rate{static_cast<double>(iterations), timer.wall_seconds(), timer.cpu_seconds()};
  c.queue_event(redrund::event{"report", {}});
  c.run_events(1);
  checks.require(f.output.text_of(0) == "received " + std::to_string(iterations),
                 "the program received every event (it printed '" + f.output.text_of(0) + "')");
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  // --events N / --computers N choose the sizes (0 skips that part); --smoke runs tiny ones.
  redrund::bench::verdict checks;
  long events = 2'000'000;
  int computers = 1000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) events = 2'000, computers = 10;
    else if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) events = std::atol(argv[++i]);
    else if (std::strcmp(argv[i], "--computers") == 0 && i + 1 < argc) computers = std::atoi(argv[++i]);
  }
  if (events > 0) {
    const auto baseline = bare_resume_rate(events);
    const auto measured = computer_event_rate(events, checks);
    redrund::bench::print_ratio("events through os.pullEvent", measured, "bare lua_resume", baseline, 0.5);
  }
  if (computers <= 0) return checks.exit_code();

  // Data directories are made first so that boot time measures the computer alone.
  std::vector<std::unique_ptr<redrund::temp_dir>> dirs;
  for (int i = 0; i < computers; ++i) {
    dirs.push_back(std::make_unique<redrund::temp_dir>());
    std::ofstream(dirs.back()->path() / "main.lua") << "while true do os.pullEvent() end";
  }
  redrund::testing::capture_output output;
  redrund::simulation sim(redrund::world_clock{});
  const long rss_before = rss_kib();
  const stopwatch boot_timer;
  for (int i = 0; i < computers; ++i) {
    redrund::computer_setup setup;
    setup.id = static_cast<std::uint32_t>(i);
    setup.data_dir = dirs[static_cast<std::size_t>(i)]->path();
    setup.startup = redrund::startup_program{"main.lua", {}, {}};
    sim.add_computer(std::move(setup), output).turn_on();
  }
  sim.run_ready();
  const double boot_seconds = boot_timer.wall_seconds() / computers;
  const double boot_cpu_seconds = boot_timer.cpu_seconds() / computers;
  std::size_t lua_bytes = 0;
  int idle = 0;
  for (const auto& [id, c] : sim.computers()) {
    lua_bytes += c->memory_bytes();
    // Booted and waiting in os.pullEvent: on, program started and not ended.
    idle += c->is_on() && c->startup_state() == redrund::program_state::running && c->memory_bytes() > 0;
  }
  const long rss_after = rss_kib();
  checks.require(idle == computers, std::to_string(idle) + " of " + std::to_string(computers) +
                                        " computers booted and wait for events");
  checks.require(output.lines.empty(), "the idle computers printed nothing (no boot errors)");
  checks.require(rss_before > 0 && rss_after >= rss_before, "RSS was read from /proc");
  std::printf("idle booted computer: %.1f KiB of Lua memory each; RSS of %d computers: %.1f MiB "
              "(%.1f KiB each, aim <= 200)\n",
              static_cast<double>(lua_bytes) / computers / 1024.0, computers,
              static_cast<double>(rss_after - rss_before) / 1024.0,
              static_cast<double>(rss_after - rss_before) / computers);
  std::printf("boot time: %.3f ms wall, %.3f ms CPU per computer (aim < 1 ms): bios, ROM APIs, shell and "
              "program start\n",
              boot_seconds * 1000.0, boot_cpu_seconds * 1000.0);
  return checks.exit_code();
}
