#include "app/run_command.hpp"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "app/cli_checks.hpp"
#include "app/exit_codes.hpp"
#include "app/outbound_http_client.hpp"
#include "app/output_writers.hpp"
#include "app/temp_dir.hpp"
#include "persist/atomic_file.hpp"
#include "computer/label.hpp"
#include "computer/syntax_check.hpp"
#include "world/simulation.hpp"

namespace redrund {
namespace {


std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Copies HOST[:DEST] into the computer's directory; DEST defaults to HOST's file name.
bool copy_extra_file(const std::string& spec, const std::filesystem::path& root) {
  const auto colon = spec.rfind(':');
  const std::string host = colon == std::string::npos ? spec : spec.substr(0, colon);
  std::string dest = colon == std::string::npos ? std::filesystem::path(host).filename().string()
                                                : spec.substr(colon + 1);
  const auto target = (root / std::filesystem::path(dest).relative_path()).lexically_normal();
  if (target.string().rfind(root.string(), 0) != 0) {
    std::cerr << "redrund: --file " << spec << ": destination outside the computer\n";
    return false;
  }
  const auto contents = read_whole_file(host);
  if (!contents) {
    std::cerr << "redrund: --file " << spec << ": cannot read " << host << "\n";
    return false;
  }
  std::filesystem::create_directories(target.parent_path());
  std::ofstream(target, std::ios::binary) << *contents;
  return true;
}

// Wakes the real-time loop early when the http client has something for a computer.
class waker {
 public:
  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    ready_.notify_one();
  }
  // Waits until `deadline` or a wake-up; true when woken.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, deadline, [this] { return woken_; });
    return std::exchange(woken_, false);
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  bool woken_ = false;
};

// Real time: one tick every 50 ms of wall time; events run as soon as they are queued, and
// what the http client brings in is delivered as soon as it arrives.
run_end run_real_time(simulation& sim, const std::function<bool()>& done, tick_t limit_ticks,
                      outbound_http_client* http, waker& woken) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    if (http != nullptr) http->deliver(sim);
    sim.run_ready();
    if (done()) return run_end::condition_met;
    if (sim.clock().now_ticks >= limit_ticks) return run_end::time_limit;
    if (!woken.wait_until(start + std::chrono::milliseconds(50) * (sim.clock().now_ticks + 1))) sim.advance_tick();
  }
}

// The http API when asked for (--http-enable, --http-allow); it needs the wall clock.
bool make_http(const run_options& options, std::unique_ptr<outbound_http_client>& http) {
  if (!options.http_enable && options.http_allow.empty()) return true;
  if (!options.real_time) {
    std::cerr << "redrund: the http API needs --real-time (sockets follow the wall clock)\n";
    return false;
  }
  http_config config;
  config.enabled = true;
  config.allow = options.http_allow;
  std::string error;
  http = outbound_http_client::create(config, error);
  if (!http) std::cerr << "redrund: --http-allow: " << error << "\n";
  return http != nullptr;
}

int report_outcome(const computer& c, run_end end, double time_limit_seconds) {
  if (c.startup_state() == program_state::failed || !c.stop_reason().empty())
    return exit_code::program_failed;
  if (c.program_done()) return exit_code::success;
  if (end == run_end::nothing_left)
    std::cerr << "redrund: the program is waiting for an event that can never arrive\n";
  else
    std::cerr << "redrund: simulated time limit of " << time_limit_seconds << " s reached\n";
  return exit_code::time_limit;
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, run_options& options) {
  CLI::App* run = app.add_subcommand("run", "Run one program on one simulated computer");
  run->add_option("--seed", options.seed, "Seed for every random stream of the run");
  run->add_flag("--real-time", options.real_time, "Follow the wall clock instead of virtual time");
  run->add_option("--time-limit", options.time_limit_seconds, "Simulated seconds before giving up (exit 3)")
      ->check(CLI::PositiveNumber)
      ->check(finite_number);
  run->add_option("--data", options.data_dir, "Keep the computer's files in this directory");
  // CC's ids are Java ints.
  run->add_option("--id", options.id, "Computer id")->check(CLI::Range(0u, 2147483647u));
  run->add_option("--label", options.label, "Computer label (cut to 32 characters as CC does)");
  run->add_option("--file", options.extra_files, "HOST[:DEST] file to copy into the computer (repeatable)");
  run->add_option("--input", options.input_file, "File whose lines read() returns")->check(CLI::ExistingFile);
  run->add_flag("--http-enable", options.http_enable, "Give the computer the http API (public hosts; needs --real-time)");
  run->add_option("--http-allow", options.http_allow,
                  "Also let http reach HOST (name, IP or CIDR; '*' for any); implies --http-enable (repeatable)");
  run->add_option("command", options.command, "FILE [ARGS...]")->required();
  // Everything after FILE belongs to the program, even if it looks like an option.
  run->positionals_at_end();
  run->prefix_command();
  return run;
}

int run_program(const run_options& options) {
  const std::filesystem::path program_path = options.command.front();
  const auto source = read_whole_file(program_path);
  if (!source) {
    std::cerr << "redrund: cannot read " << program_path.string() << "\n";
    return exit_code::usage_error;
  }
  const std::string program_name = program_path.filename().string();
  if (auto error = check_syntax(*source, program_name)) {
    std::cerr << "redrund: " << *error << "\n";
    return exit_code::usage_error;
  }
  std::optional<temp_dir> scratch;
  std::filesystem::path data = options.data_dir;
  if (data.empty()) data = scratch.emplace().path();
  std::filesystem::create_directories(data);
  std::ofstream(data / program_name, std::ios::binary) << *source;
  for (const auto& spec : options.extra_files)
    if (!copy_extra_file(spec, std::filesystem::absolute(data).lexically_normal())) return exit_code::usage_error;

  computer_setup setup;
  setup.id = options.id;
  setup.label = normalise_label(options.label);
  setup.data_dir = data;
  setup.seed = options.seed;
  setup.startup = startup_program{program_name, {options.command.begin() + 1, options.command.end()}, {}};
  if (!options.input_file.empty()) setup.input_lines = read_lines(options.input_file);

  waker woken;
  std::unique_ptr<outbound_http_client> http;  // before the world: it outlives the computer
  if (!make_http(options, http)) return exit_code::usage_error;
  if (http) http->set_wake([&woken] { woken.wake(); });

  world_clock start;
  if (options.real_time)
    start.epoch_start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  simulation sim(start);
  stdio_output output;
  computer& c = sim.add_computer(std::move(setup), output);
  c.set_http(http.get());
  c.turn_on();
  const auto limit = static_cast<tick_t>(std::ceil(options.time_limit_seconds * ticks_per_second));
  const auto done = [&c] { return c.program_done(); };
  const run_end end = options.real_time ? run_real_time(sim, done, limit, http.get(), woken) : run_virtual(sim, done, limit);
  const int status = report_outcome(c, end, options.time_limit_seconds);
  c.shutdown();
  std::fflush(stdout);
  return status;
}

}  // namespace redrund
