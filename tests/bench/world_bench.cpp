// Benchmarks for the networked world (figures go in the README):
//  1. modem messages delivered per second between two computers (transmit through to the
//     receiver's os.pullEvent("modem_message") returning), as a ratio to a bare baseline in
//     the same run: deep-copying the same table between two lua_States and resuming a
//     coroutine with it;
//  2. 4 GPS hosts and N computers each calling gps.locate(): simulated seconds per wall second;
//  3. N idle computers with wireless modems and rednet open: memory, and the wall time of one
//     rednet.broadcast until every computer has received it.
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

#include "app/temp_dir.hpp"
#include "bench_support.hpp"
#include "computer/lua_value.hpp"
#include "support/sim_fixture.hpp"
#include "world/simulation.hpp"

namespace {

using redrund::bench::measured_rate;
using redrund::bench::rss_kib;
using redrund::bench::stopwatch;
using redrund::modem_kind;
using redrund::modem_spec;
using redrund::placement;

// A world whose computers each run one program from a temporary directory.
class bench_world {
 public:
  bench_world() : sim_(redrund::world_config{}) {}

  redrund::computer& add(std::uint32_t id, const std::string& program, placement where,
                         modem_kind kind = modem_kind::wireless) {
    dirs_.push_back(std::make_unique<redrund::temp_dir>());
    std::ofstream(dirs_.back()->path() / "main.lua") << program;
    redrund::computer_setup setup;
    setup.id = id;
    setup.data_dir = dirs_.back()->path();
    setup.startup = redrund::startup_program{"main.lua", {}, {}};
    return sim_.add_computer(std::move(setup), output_, std::move(where), {modem_spec{1, kind, {}}});
  }

  void turn_on_all() {
    for (const auto& [id, c] : sim_.computers()) c->turn_on();
  }

  redrund::simulation& sim() { return sim_; }
  const redrund::testing::capture_output& output() const { return output_; }

 private:
  redrund::testing::capture_output output_;
  std::vector<std::unique_ptr<redrund::temp_dir>> dirs_;
  redrund::simulation sim_;
};

// The message rednet sends, as a payload table.
constexpr const char* payload_constructor =
    "{nMessageID = 123456, nRecipient = 2, nSender = 1, message = 'hello', sProtocol = 'x'}";

measured_rate baseline_copy_resume_rate(long iterations) {
  lua_State* from = luaL_newstate();
  lua_State* to = luaL_newstate();
  luaL_requiref(to, "_G", luaopen_base, 1);
  luaL_requiref(to, "coroutine", luaopen_coroutine, 1);
  lua_settop(to, 0);
  luaL_dostring(from, (std::string("return ") + payload_constructor).c_str());
  lua_State* co = lua_newthread(to);
  luaL_loadstring(co, "while true do local t = coroutine.yield() end");
  int results = 0;
  lua_resume(co, to, 0, &results);
  const stopwatch timer;
  for (long i = 0; i < iterations; ++i) {
    redrund::value_list copied;
    redrund::value item;
    redrund::copy_from_lua(from, 1, copied, item, {});
    copied.items.push_back(std::move(item));
    const int pushed = redrund::push_values(co, copied);
    lua_resume(co, to, pushed, &results);
    lua_pop(co, results);
  }
  const measured_rate rate{static_cast<double>(iterations), timer.wall_seconds(), timer.cpu_seconds()};
  lua_close(from);
  lua_close(to);
  return rate;
}

measured_rate modem_message_rate(long messages, redrund::bench::verdict& checks) {
  bench_world w;
  // The receiver ends once it has pulled every message: the run is timed until then.
  auto& receiver = w.add(2, "local m = peripheral.wrap('top') m.open(1) for i = 1, " + std::to_string(messages) +
                                " do os.pullEvent('modem_message') end",
                         placement{{10, 64, 0}, "overworld"});
  // The sender waits a tick first, so that the receiver has opened its channel, then yields
  // after each message: computers take one event per pass, so this paces it to the receiver
  // and the receiver's 256-event queue never overflows.
  w.add(1, "local m = peripheral.wrap('top') sleep(0.05) for i = 1, " + std::to_string(messages) +
               " do m.transmit(1, 1, " + payload_constructor + ") os.queueEvent('y') os.pullEvent('y') end",
        placement{{0, 64, 0}, "overworld"});
  const stopwatch timer;
  w.turn_on_all();
  redrund::run_virtual(w.sim(), [&] { return receiver.program_done(); }, 1'000'000);
  const double wall_seconds = timer.wall_seconds(), cpu_seconds = timer.cpu_seconds();
  checks.require(w.sim().find_computer(1)->startup_state() == redrund::program_state::succeeded,
                 "the sender's program finished without an error");
  checks.require(receiver.startup_state() == redrund::program_state::succeeded,
                 "the receiver pulled every message");
  checks.require(receiver.queue().dropped() == 0,
                 "the receiver dropped " + std::to_string(receiver.queue().dropped()) + " events");
  return {static_cast<double>(messages), wall_seconds, cpu_seconds};
}

void gps_benchmark(int clients, redrund::bench::verdict& checks) {
  bench_world w;
  const double hosts[4][3] = {{0, 200, 0}, {60, 200, 0}, {0, 200, 60}, {0, 250, 0}};
  for (std::uint32_t i = 0; i < 4; ++i) {
    const auto& p = hosts[i];
    w.add(i + 1, "shell.run('gps host " + std::to_string(int(p[0])) + " " + std::to_string(int(p[1])) + " " +
                     std::to_string(int(p[2])) + "')",
          placement{{p[0], p[1], p[2]}, "overworld"});
  }
  // Clients start at staggered (seeded) moments, as real players' computers would.
  for (int i = 0; i < clients; ++i) {
    const int x = (i * 7) % 100 - 50, z = (i * 13) % 100 - 50, y = 64 + i % 30;
    w.add(100 + static_cast<std::uint32_t>(i),
          "sleep(math.random() * 20) local x, y, z = gps.locate(2) "
          "print(x == " + std::to_string(x) + " and y == " + std::to_string(y) + " and z == " + std::to_string(z) + ")",
          placement{{double(x), double(y), double(z)}, "overworld"});
  }
  // Booting is measured by the computer benchmark; here only the simulation is timed.
  w.turn_on_all();
  w.sim().run_ready();
  const stopwatch timer;
  const auto done = [&] {
    for (const auto& [id, c] : w.sim().computers())
      if (id >= 100 && !c->program_done()) return false;
    return true;
  };
  redrund::run_virtual(w.sim(), done, 20 * 3600);
  const double wall = timer.wall_seconds(), cpu = timer.cpu_seconds();
  const double simulated = static_cast<double>(w.sim().clock().now_ticks) * 0.05;
  int located = 0;
  for (const auto& line : w.output().lines) located += line.text == "true";
  checks.require(located == clients, std::to_string(located) + " of " + std::to_string(clients) +
                                         " clients located themselves exactly");
  std::uint64_t events = 0;
  for (const auto& [id, c] : w.sim().computers()) events += c->stats().events_processed;
  std::printf("gps: %llu events processed, %.2f us CPU each\n", static_cast<unsigned long long>(events),
              cpu * 1e6 / static_cast<double>(events));
  std::printf("gps: %d clients located %d exactly; %.1f simulated s in %.2f wall s (%.2f CPU s): "
              "%.1f simulated s per wall s, %.1f per CPU s (aim >= 100)\n",
              clients, located, simulated, wall, cpu, simulated / wall, simulated / cpu);
}

void broadcast_benchmark(int computers, redrund::bench::verdict& checks) {
  bench_world w;
  const long rss_before = rss_kib();
  for (int i = 0; i < computers; ++i)
    w.add(static_cast<std::uint32_t>(i + 1), "rednet.open('top') local id, msg = rednet.receive() print(msg)",
          placement{{double(i % 100), 64, double(i / 100)}, "overworld"}, modem_kind::ender);
  w.turn_on_all();
  w.sim().run_ready();
  const long rss_after = rss_kib();
  int waiting = 0;
  for (const auto& [id, c] : w.sim().computers()) waiting += c->is_on() && !c->program_done();
  checks.require(waiting == computers, std::to_string(waiting) + " of " + std::to_string(computers) +
                                           " computers booted and wait in rednet.receive");
  checks.require(rss_before > 0 && rss_after >= rss_before, "RSS was read from /proc");
  std::printf("broadcast: %d idle computers with ender modems: RSS %.1f MiB (%.1f KiB each)\n", computers,
              static_cast<double>(rss_after - rss_before) / 1024.0,
              static_cast<double>(rss_after - rss_before) / computers);
  auto& sender = w.add(0, "rednet.open('top') rednet.broadcast('hello')", placement{{0, 64, -5}, "overworld"},
                       modem_kind::ender);
  const stopwatch timer;
  sender.turn_on();
  redrund::run_virtual(w.sim(), [&] {
    for (const auto& [id, c] : w.sim().computers())
      if (id != 0 && !c->program_done()) return false;
    return true;
  }, 20 * 60);
  const double wall = timer.wall_seconds(), cpu = timer.cpu_seconds();
  int heard = 0;
  for (const auto& line : w.output().lines) heard += line.stream == redrund::output_stream::out && line.text == "hello";
  checks.require(heard == computers, std::to_string(heard) + " of " + std::to_string(computers) +
                                         " computers received the broadcast");
  std::printf("broadcast: one rednet.broadcast received by all %d in %.1f ms wall, %.1f ms CPU (%.2f us CPU per "
              "receiver)\n",
              computers, wall * 1000.0, cpu * 1000.0, cpu * 1e6 / computers);
}

}  // namespace

int main(int argc, char** argv) {
  redrund::bench::verdict checks;
  long messages = 200'000;
  int gps_clients = 1000, idle_computers = 10'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) messages = 1'000, gps_clients = 5, idle_computers = 20;
    else if (std::strcmp(argv[i], "--messages") == 0 && i + 1 < argc) messages = std::atol(argv[++i]);
    else if (std::strcmp(argv[i], "--gps-clients") == 0 && i + 1 < argc) gps_clients = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--idle") == 0 && i + 1 < argc) idle_computers = std::atoi(argv[++i]);
  }
  if (messages > 0) {
    const auto baseline = baseline_copy_resume_rate(messages);
    const auto measured = modem_message_rate(messages, checks);
    redrund::bench::print_ratio("modem messages", measured, "baseline copy+resume", baseline, 0.5);
  }
  if (gps_clients > 0) gps_benchmark(gps_clients, checks);
  if (idle_computers > 0) broadcast_benchmark(idle_computers, checks);
  return checks.exit_code();
}
