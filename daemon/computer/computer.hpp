#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "computer/event_queue.hpp"
#include "computer/output.hpp"
#include "computer/terminal.hpp"
#include "computer/timers.hpp"
#include "config/limits.hpp"
#include "core/clock.hpp"
#include "core/rng.hpp"

namespace redrund {

class machine;
class outbound_http;
class peripheral_bus;
class vfs;

// What a computer runs at boot, through its shell: a program with arguments passed as they
// are, or a command line the shell splits (as if typed at the prompt).
struct startup_program {
  std::string program;             // path inside the computer
  std::vector<std::string> args;
  std::string command;             // used instead of program/args when not empty
};

// A background task started at boot as a supervised RedRun task (lua/README.md).
struct boot_task {
  std::string name;
  std::string command;             // shell command line, e.g. "gps host 0 200 0"
  std::string restart = "never";   // "never" or "on-error"
  std::uint32_t key = 0;           // the host's handle, reported back when it ends (0: none)
};

// What RedRun tells the host when a task ends or waits to be restarted (bios gives RedRun the
// hook; lua/README.md). Reported by the computer's own Lua, so it is a claim, not a fact.
struct task_report {
  double id = 0;
  std::string name;                // empty when the task has none
  // running (reported by RedRun, kept by the computer, not passed on), finished, errored,
  // killed, terminated, restarting; and stopped (from the computer: the task was running
  // when the computer shut down or rebooted).
  std::string status;
  std::string error;               // errored and restarting
  std::uint32_t key = 0;           // boot_task::key of a boot task, else 0
};

struct computer_setup {
  std::uint32_t id = 0;
  std::string label;
  std::filesystem::path data_dir;  // the computer's own files (its "/")
  computer_limits limits;
  std::uint64_t seed = 0;          // the run's seed; math.random derives from (seed, id)
  std::optional<startup_program> startup;
  std::vector<std::string> input_lines;  // what read() returns, line by line
  std::vector<boot_task> tasks;          // background tasks started at boot
};

// What became of the startup program, for `redrund run` and scenario verdicts.
enum class program_state : std::uint8_t { none, running, succeeded, failed };

// Counters a computer keeps about itself; reported, never used for decisions.
struct computer_stats {
  std::uint64_t events_processed = 0;
  std::uint64_t events_discarded_by_filter = 0;
  std::uint64_t memory_errors = 0;
  std::uint64_t timeouts_soft = 0;
  std::uint64_t timeouts_hard = 0;
  std::uint64_t output_lines_truncated = 0;
  // VM instructions executed, counted by the timeout hook (to within its interval).
  std::uint64_t instructions = 0;
  // Runs paused by preemption (computer_limits::slice_instructions) and continued later.
  std::uint64_t pauses = 0;
  // C++ exceptions that escaped a step and stopped the computer (stop_after_fault).
  std::uint64_t faults = 0;
};

// One simulated computer: its event queue, timers, terminal, files and Lua machine.
// Sim thread only. The world drives it: queue_event / run_events / tick.
class computer {
 public:
  computer(computer_setup setup, const world_clock& clock, output_sink& output);
  ~computer();
  computer(const computer&) = delete;
  computer& operator=(const computer&) = delete;

  std::uint32_t id() const { return setup_.id; }
  const std::string& label() const { return setup_.label; }
  void set_label(std::string label) { setup_.label = std::move(label); }
  const computer_limits& limits() const { return setup_.limits; }

  // Lifecycle. turn_on boots the VM (bios, APIs, top level); shutdown closes it.
  void turn_on();
  void shutdown();
  bool is_on() const { return machine_ != nullptr; }
  // Bytes the Lua state has allocated (0 when off).
  std::size_t memory_bytes() const;
  // Why the computer stopped, when it stopped on its own (error, timeout); else empty.
  const std::string& stop_reason() const { return stop_reason_; }

  // Events. A full queue drops the event and counts it; an off computer drops it too.
  bool queue_event(event e);
  // Events waiting, or a run paused by preemption that still has to finish.
  bool has_pending_events() const;
  const event_queue& queue() const { return queue_; }
  // Called with every event the computer takes from its queue (also those its top-level
  // filter discards), before it runs: the daemon's `event` notifications.
  void set_event_observer(std::function<void(std::uint32_t, const event&)> observer) {
    event_observer_ = std::move(observer);
  }
  // Called when RedRun reports a task's end (the daemon's `task` notifications).
  void set_task_observer(std::function<void(std::uint32_t, const task_report&)> observer) {
    task_observer_ = std::move(observer);
  }
  // Keeps track of running tasks (bounded), passes endings on to the observer.
  void report_task(const task_report& report);

  // Resumes the machine with up to events_max queued events; returns how many ran.
  std::size_t run_events(std::size_t events_max);
  // A C++ exception escaped this computer's step (a host bug or an input nothing checked):
  // the computer stops with the error, as after a crash, and the world goes on.
  void stop_after_fault(std::string_view what);

  // Runs `code` as a program would, beside the top level (see machine::start_eval). An off
  // computer answers at once with an error.
  void start_eval(std::string_view code, const value_list& args, std::function<void(struct eval_outcome)> done);

  // Called once per world tick, after the clock advanced: fires due alarms, then timers.
  void tick();
  // The tick of the next timer or alarm, if any (virtual time jumps to it when idle).
  std::optional<tick_t> next_due_tick() const;

  // For the bindings (sim thread, inside this computer's Lua).
  vfs& files() { return *files_; }
  terminal& term() { return terminal_; }
  timer_set& timers() { return timers_; }
  const world_clock& clock() const { return clock_; }
  rng& random() { return random_; }
  // The peripherals this computer can reach (nullptr: nothing attached).
  peripheral_bus* peripherals() { return peripherals_; }
  void set_peripherals(peripheral_bus* bus) { peripherals_ = bus; }
  // The outbound network the `http` API uses (nullptr: no `http` API). Set before turn_on;
  // it must outlive the computer.
  outbound_http* http() { return http_; }
  void set_http(outbound_http* provider) { http_ = provider; }
  computer_stats& stats() { return stats_; }
  const computer_stats& stats() const { return stats_; }
  // Ticks since this boot (os.clock).
  tick_t uptime_ticks() const { return clock_.now_ticks - boot_tick_; }
  // os.shutdown / os.reboot: take effect when the current resume returns.
  void request_stop(bool reboot) { stop_request_ = reboot ? stop_request::reboot : stop_request::shutdown; }
  std::optional<std::string> next_input_line();
  void set_error_output(bool on) { terminal_.set_stream(on ? output_stream::err : output_stream::out); }

  program_state startup_state() const { return program_state_; }
  // True once the startup program has ended, or the computer is off.
  bool program_done() const { return !is_on() || program_state_ == program_state::succeeded || program_state_ == program_state::failed; }
  void set_program_finished(bool ok) { program_state_ = ok ? program_state::succeeded : program_state::failed; }
  const std::optional<startup_program>& startup() const { return setup_.startup; }
  const std::vector<boot_task>& boot_tasks() const { return setup_.tasks; }
  // The tasks the next boot starts (the current boot's are already running).
  void set_boot_tasks(std::vector<boot_task> tasks) { setup_.tasks = std::move(tasks); }

 private:
  enum class stop_request : std::uint8_t { none, shutdown, reboot };

  void handle_machine_stop(const std::string& reason);
  void apply_stop_request();
  // After a run: stops the computer if the machine ended, applies os.shutdown/reboot, and
  // starts held-back evals once no run is paused. False when the computer stopped.
  bool settle(const struct machine_result& result);
  void start_held_evals();
  // Starts an eval on the running machine, then stops the computer if it ran into the hard
  // abort, or applies os.shutdown/reboot.
  void start_machine_eval(std::string_view code, const value_list& args, std::function<void(struct eval_outcome)> done);

  // lua.eval requests that came while a run was paused, started once it has finished.
  struct held_eval {
    std::string code;
    value_list args;
    std::function<void(struct eval_outcome)> done;
  };
  std::vector<held_eval> held_evals_;
  std::size_t slices_this_tick_ = 0;
  computer_setup setup_;
  const world_clock& clock_;
  event_queue queue_;
  timer_set timers_;
  terminal terminal_;
  std::unique_ptr<vfs> files_;
  std::unique_ptr<machine> machine_;
  rng random_;
  peripheral_bus* peripherals_ = nullptr;
  outbound_http* http_ = nullptr;
  std::function<void(std::uint32_t, const event&)> event_observer_;
  std::function<void(std::uint32_t, const task_report&)> task_observer_;
  // Tasks RedRun reported running and not yet ended, by task id: reported as stopped when the
  // computer shuts down. At most live_tasks_max (RedRun's reports are the program's claims).
  std::map<double, task_report> live_tasks_;
  static constexpr std::size_t live_tasks_max = 4096;
  computer_stats stats_;
  tick_t boot_tick_ = 0;
  std::size_t next_input_ = 0;
  stop_request stop_request_ = stop_request::none;
  program_state program_state_ = program_state::none;
  std::string stop_reason_;
};

}  // namespace redrund
