// Benchmarks for RedRun background tasks and file transfer (figures go in the README):
//  1. file-transfer throughput: the `transfer` protocol (redrun.transfer) pushing N bytes
//     between two computers in range, without loss and with 20% loss, against a baseline
//     measured in the same run: the same bytes in the same 8 KiB chunks sent as bare modem
//     messages (no rednet, acks, CRC or retransmission) and written to a file;
//  2. the cost of idle RedRun tasks to every event: events per second through the foreground
//     os.pullEvent with N tasks blocked on a filter that never matches, as a ratio to N = 0.
// `--smoke` runs tiny sizes so ctest keeps the benchmark building and running.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "support/world_fixture.hpp"
#include "tasks/tasks_support.hpp"

namespace {

using redrund::bench::stopwatch;
using namespace redrund;
using namespace redrund::testing;

// Set when a run went wrong (bytes not intact, tasks missing): the exit status says so, so
// the smoke run under ctest catches a broken transfer, not just a broken build.
bool failures = false;

constexpr std::size_t chunk_bytes = 8192;  // redrun.transfer's default chunk
// Every program sleeps this long first: the transfer server hosts its name 2 s after boot,
// and boot is not what is measured. The world is run to just before, then timed.
constexpr double start_seconds = 3;

// One measured stretch of a world: simulated and wall (and CPU) seconds, and whether the
// bytes arrived intact.
struct transfer_figures {
  double simulated_seconds = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;
  double instructions = 0;  // Lua VM instructions both computers ran meanwhile
  bool intact = false;
};

// Runs `w` from just before start_seconds until computer `id`'s program ends; the program
// prints the simulated time it took as its last line.
transfer_figures timed_run(world_fixture& w, std::uint32_t id) {
  w.run_to(start_seconds - 0.05);
  const auto instructions = [&] {
    return static_cast<double>(w.get(1).stats().instructions + w.get(2).stats().instructions);
  };
  const double instructions_before = instructions();
  const stopwatch timer;
  w.run_until([&] { return w.get(id).program_done(); }, 3600);
  transfer_figures figures;
  figures.wall_seconds = timer.wall_seconds();
  figures.cpu_seconds = timer.cpu_seconds();
  figures.instructions = instructions() - instructions_before;
  const std::string out = w.out(id);
  const auto last = out.rfind('\n');
  figures.simulated_seconds = std::atof(out.c_str() + (last == std::string::npos ? 0 : last + 1));
  return figures;
}

// Room for the file, its .part and the metadata.
std::uint64_t disk_for(std::size_t bytes) { return 3 * bytes + 65536; }

// Computer 1 sends `bytes` of test data from data.bin with `sender` to computer 2, which the
// caller has set up; timed until computer `timed_id` is done, then computer 2's data.bin is
// compared with what was sent.
transfer_figures copy_run(world_fixture& w, std::size_t bytes, const std::string& sender, std::uint32_t timed_id) {
  w.add_with(1, startup_program{"main.lua", {}, {}}, {{"main.lua", sender}, {"data.bin", all_bytes(bytes)}},
             at(20, 64, 0), {wireless("top")});
  transfer_figures figures = timed_run(w, timed_id);
  figures.intact = read_file(w.get(2), "data.bin") == all_bytes(bytes);
  return figures;
}

transfer_figures protocol_transfer(std::size_t bytes, double loss, std::uint64_t seed) {
  fault_plan faults;
  faults.loss = loss;
  world_fixture w(world_with(seed, faults));
  w.limits.disk_capacity_bytes = disk_for(bytes);
  w.add_command(2, "transfer serve", at(0, 64, 0), {wireless("top")});
  return copy_run(w, bytes, R"(
      local transfer = require "redrun.transfer"
      rednet.open("top")
      sleep(3)
      local start = os.clock()
      local ok, err = transfer.send(2, "data.bin", "data.bin", { retries = 1000 })
      assert(ok, err)
      print(os.clock() - start)
    )", 1);
}

// The baseline: the sender transmits the file's chunks on a bare modem channel, yielding after
// each (computers take one event per pass, so this paces it to the receiver and the receiver's
// 256-event queue never overflows); the receiver writes each chunk to a file as it arrives.
transfer_figures raw_modem_copy(std::size_t bytes, std::uint64_t seed) {
  world_fixture w(world_with(seed));
  w.limits.disk_capacity_bytes = disk_for(bytes);
  const std::string chunks = std::to_string((bytes + chunk_bytes - 1) / chunk_bytes);
  w.add(2, R"(
      local modem = peripheral.wrap("top")
      modem.open(7)
      local out = fs.open("data.bin", "wb")
      sleep(3)
      local start = os.clock()
      for i = 1, )" + chunks + R"( do
        local _, _, _, _, chunk = os.pullEvent("modem_message")
        out.write(chunk)
      end
      out.close()
      print(os.clock() - start)
    )", at(0, 64, 0), {wireless("top")});
  return copy_run(w, bytes, R"(
      local modem = peripheral.wrap("top")
      local file = fs.open("data.bin", "rb")
      sleep(3)
      while true do
        local chunk = file.read()" + std::to_string(chunk_bytes) + R"()
        if not chunk then break end
        modem.transmit(7, 7, chunk)
        os.queueEvent("paced")
        os.pullEvent("paced")
      end
      file.close()
    )", 2);
}

void print_transfer(const char* what, std::size_t bytes, const transfer_figures& f, const transfer_figures& raw) {
  const double kib = static_cast<double>(bytes) / 1024.0;
  failures = failures || !f.intact;
  // Messages within range arrive in the tick they were sent, so a lossless transfer can take
  // no simulated time at all: the clock only moves for timers (retransmissions).
  char simulated[64];
  if (f.simulated_seconds > 0)
    std::snprintf(simulated, sizeof simulated, "%7.2f simulated s (%8.1f KiB/s)", f.simulated_seconds,
                  kib / f.simulated_seconds);
  else
    std::snprintf(simulated, sizeof simulated, "within one tick                ");
  std::printf("  %-22s %5.0f KiB%s: %s, %6.3f wall s (%6.3f CPU s, %7.0f KiB/s, %5.1f VM instructions/byte); "
              "ratio to raw modem %.3f by wall time, %.3f by CPU time\n",
              what, kib, f.intact ? "" : " (NOT INTACT)", simulated, f.wall_seconds, f.cpu_seconds,
              kib / f.wall_seconds, f.instructions / static_cast<double>(bytes), raw.wall_seconds / f.wall_seconds,
              raw.cpu_seconds / f.cpu_seconds);
}

void transfer_benchmark(const std::vector<std::size_t>& sizes) {
  std::printf("file transfer (8 KiB chunks, window 8, two computers 20 blocks apart):\n");
  for (const std::size_t bytes : sizes) {
    const transfer_figures raw = raw_modem_copy(bytes, 1);
    print_transfer("raw modem (baseline)", bytes, raw, raw);
    print_transfer("transfer, no loss", bytes, protocol_transfer(bytes, 0, 1), raw);
    print_transfer("transfer, 20% loss", bytes, protocol_transfer(bytes, 0.2, 1), raw);
  }
}

// Events per wall second through the foreground os.pullEvent of a computer running `tasks`
// idle RedRun tasks (each waits for an event named "never"); RedRun is registered even for 0.
redrund::bench::measured_rate idle_task_event_rate(int tasks, long events) {
  world_fixture w(world_with(1));
  w.add(1, R"(
      local redrun = require "redrun"
      for i = 1, )" + std::to_string(tasks) + R"( do
        redrun.start(function() while true do os.pullEvent("never") end end, "idle")
      end
      sleep(3) -- every task has run up to its filter by now
      for i = 1, )" + std::to_string(events) + R"( do
        os.queueEvent("bench")
        os.pullEvent("bench")
      end
      print(#redrun.list())
    )");
  w.run_to(start_seconds - 0.05);
  const stopwatch timer;
  w.run();
  const redrund::bench::measured_rate rate{static_cast<double>(events), timer.wall_seconds(), timer.cpu_seconds()};
  if (w.out(1) != std::to_string(tasks)) {
    std::printf("  (tasks: expected %d, the computer said %s)\n", tasks, w.out(1).c_str());
    failures = true;
  }
  return rate;
}

void idle_tasks_benchmark(long events) {
  std::printf("events through the foreground os.pullEvent with N idle RedRun tasks (%ld events each):\n", events);
  idle_task_event_rate(0, events / 10);  // warm-up: the first world built is slower
  const auto baseline = idle_task_event_rate(0, events);
  const auto print = [&](const char* what, const redrund::bench::measured_rate& rate) {
    std::printf("  %-20s %8.0f events/s; ratio to N = 0: %.3f by wall time, %.3f by CPU time\n", what,
                rate.per_wall_second(), rate.per_wall_second() / baseline.per_wall_second(),
                rate.per_cpu_second() / baseline.per_cpu_second());
  };
  print("N = 0", baseline);
  for (const int tasks : {1, 10, 100}) print(("N = " + std::to_string(tasks)).c_str(), idle_task_event_rate(tasks, events));
  // The baseline measured again shows how much of a ratio is noise.
  print("N = 0 (again)", idle_task_event_rate(0, events));
}

}  // namespace

int main(int argc, char** argv) {
  // --bytes N (repeatable; 0 skips the transfers) and --events N (0 skips the idle tasks)
  // choose the sizes; --smoke runs tiny ones.
  std::vector<std::size_t> sizes;
  bool sizes_given = false;
  long events = 200'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      sizes = {16 * 1024}, sizes_given = true, events = 2'000;
    } else if (std::strcmp(argv[i], "--bytes") == 0 && i + 1 < argc) {
      const long bytes = std::atol(argv[++i]);
      if (bytes > 0) sizes.push_back(static_cast<std::size_t>(bytes));
      sizes_given = true;
    } else if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
      events = std::atol(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--smoke] [--bytes N]... [--events N]\n", argv[0]);
      return 2;
    }
  }
  if (!sizes_given) sizes = {256 * 1024, 1024 * 1024};
  if (!sizes.empty()) transfer_benchmark(sizes);
  if (events > 0) idle_tasks_benchmark(events);
  return failures ? 1 : 0;
}
