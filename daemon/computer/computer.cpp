#include "computer/computer.hpp"

#include "computer/clock_math.hpp"
#include "computer/machine.hpp"
#include "computer/outbound_http.hpp"
#include "computer/rom.hpp"
#include "computer/vfs.hpp"

namespace redrund {
namespace {

// Stream id for a computer's math.random, distinct from other purposes' streams.
constexpr std::uint64_t math_random_stream = 0x6d617468;

}  // namespace

computer::computer(computer_setup setup, const world_clock& clock, output_sink& output)
    : setup_(std::move(setup)),
      clock_(clock),
      queue_(setup_.limits.event_queue_max),
      terminal_(setup_.id, setup_.limits.terminal_width, setup_.limits.terminal_height,
                setup_.limits.output_line_bytes_max, output),
      files_(std::make_unique<vfs>(setup_.data_dir, setup_.limits.disk_capacity_bytes)),
      random_(rng::derive(setup_.seed, math_random_stream ^ (std::uint64_t{setup_.id} << 32))) {}

computer::~computer() {
  // Whoever observes this computer may be gone already: a destroyed computer tells no one.
  task_observer_ = nullptr;
  shutdown();
}

void computer::turn_on() {
  if (is_on()) return;
  // A fresh boot: the queue and pending timers are cleared, ids keep counting (as CC).
  queue_.clear();
  timers_.clear_pending();
  boot_tick_ = clock_.now_ticks;
  stop_request_ = stop_request::none;
  stop_reason_.clear();
  if (setup_.startup && program_state_ == program_state::none) program_state_ = program_state::running;
  machine_ = std::make_unique<machine>(*this, setup_.limits);
  const rom_lookup bios = find_rom_file("bios.lua");
  const bool binary = !bios.bytecode.empty();
  if (auto error = machine_->boot(binary ? bios.bytecode : bios.contents, "bios.lua", binary)) {
    handle_machine_stop("bios failed to load: " + *error);
    return;
  }
  const machine_result result = machine_->start();
  if (result.outcome != machine_result::status::yielded && result.outcome != machine_result::status::paused) {
    handle_machine_stop(result.error.empty() ? "bios ended" : result.error);
    return;
  }
  apply_stop_request();
}

void computer::shutdown() {
  terminal_.flush();
  if (machine_) machine_->cancel_evals("computer is off");
  auto held = std::move(held_evals_);
  held_evals_.clear();
  for (held_eval& h : held) h.done({false, "computer is off", {}});
  // Background tasks end with the computer (a reboot starts boot tasks afresh).
  auto stopped = std::move(live_tasks_);
  live_tasks_.clear();
  for (auto& [task_id, report] : stopped) {
    report.status = "stopped";
    if (task_observer_) task_observer_(id(), report);
  }
  machine_.reset();
  // Connections belong to the running machine, as CC closes them when a computer stops.
  if (http_ != nullptr) http_->close_all(id());
  queue_.clear();
  timers_.clear_pending();
}

void computer::handle_machine_stop(const std::string& reason) {
  stop_reason_ = reason;
  if (program_state_ == program_state::running) program_state_ = program_state::failed;
  // CC prints the error on the terminal before the computer turns off.
  set_error_output(true);
  terminal_.flush();
  terminal_.write(reason);
  terminal_.flush();
  set_error_output(false);
  shutdown();
}

void computer::stop_after_fault(std::string_view what) {
  ++stats_.faults;
  if (!is_on()) return;
  try {
    handle_machine_stop("Error running computer: " + std::string(what));
  } catch (...) {
    // Telling the observers failed too: the computer still stops.
    stop_reason_ = "Error running computer";
    machine_.reset();
  }
}

void computer::apply_stop_request() {
  const stop_request request = stop_request_;
  stop_request_ = stop_request::none;
  if (request == stop_request::none) return;
  shutdown();
  if (request == stop_request::reboot) turn_on();
}

void computer::start_eval(std::string_view code, const value_list& args, std::function<void(eval_outcome)> done) {
  if (!machine_) {
    done({false, "computer is off", {}});
    return;
  }
  if (machine_->paused()) {
    // Bounded like the event queue: callers have their own limits, this is the backstop.
    if (held_evals_.size() >= setup_.limits.event_queue_max) {
      done({false, "computer is busy", {}});
      return;
    }
    held_evals_.push_back({std::string(code), args, std::move(done)});
    return;
  }
  start_machine_eval(code, args, std::move(done));
}

void computer::start_machine_eval(std::string_view code, const value_list& args,
                                  std::function<void(eval_outcome)> done) {
  machine_->start_eval(code, args, std::move(done));
  // An eval that ran into the hard abort takes the computer with it, as the top level's does.
  if (machine_->hard_aborted()) return handle_machine_stop(std::string(timeout_message));
  apply_stop_request();
}

void computer::start_held_evals() {
  while (machine_ && !machine_->paused() && !held_evals_.empty()) {
    held_eval next = std::move(held_evals_.front());
    held_evals_.erase(held_evals_.begin());
    start_machine_eval(next.code, next.args, std::move(next.done));
  }
}

void computer::report_task(const task_report& report) {
  if (report.status == "running") {
    if (live_tasks_.size() < live_tasks_max || live_tasks_.count(report.id) != 0) live_tasks_[report.id] = report;
    return;
  }
  if (report.status != "restarting") live_tasks_.erase(report.id);
  if (task_observer_) task_observer_(id(), report);
}

bool computer::has_pending_events() const { return !queue_.empty() || (machine_ && machine_->paused()); }

std::size_t computer::memory_bytes() const { return machine_ ? machine_->memory_bytes() : 0; }

bool computer::queue_event(event e) {
  if (!is_on()) return false;
  return queue_.push(std::move(e));
}

std::size_t computer::run_events(std::size_t events_max) {
  std::size_t ran = 0;
  while (is_on() && ran < events_max) {
    if (machine_->paused()) {
      // A paused run goes on before any new event, a few slices per tick at most.
      if (slices_this_tick_ >= setup_.limits.slices_per_tick_max) break;
      ++slices_this_tick_;
      ++ran;
      if (!settle(machine_->continue_run())) break;
      continue;
    }
    if (queue_.empty()) break;
    event e = queue_.pop();
    ++ran;
    if (event_observer_) event_observer_(id(), e);
    if (!machine_->accepts(e.name)) {
      ++stats_.events_discarded_by_filter;
      continue;
    }
    ++stats_.events_processed;
    if (!settle(machine_->resume(e))) break;
  }
  return ran;
}

bool computer::settle(const machine_result& result) {
  // (A hard abort is counted by the machine's hook, where it happens.)
  if (result.outcome != machine_result::status::yielded && result.outcome != machine_result::status::paused) {
    handle_machine_stop(result.outcome == machine_result::status::finished ? "bios ended" : result.error);
    return false;
  }
  apply_stop_request();
  start_held_evals();
  return is_on();
}

void computer::tick() {
  slices_this_tick_ = 0;
  if (!is_on()) return;
  // Alarms compare against the in-game time of the previous tick, so they fire about one
  // tick late, as CC's; they are queued before timers.
  const tick_t previous_ingame = ingame_ticks(clock_) - 1;
  for (const std::int64_t id : timers_.take_due_alarms(previous_ingame)) {
    event e{"alarm", {}};
    e.args.items.push_back(value::of_number(static_cast<double>(id)));
    queue_event(std::move(e));
  }
  for (const std::int64_t id : timers_.take_due_timers(clock_.now_ticks)) {
    event e{"timer", {}};
    e.args.items.push_back(value::of_number(static_cast<double>(id)));
    queue_event(std::move(e));
  }
}

std::optional<tick_t> computer::next_due_tick() const {
  if (!is_on()) return std::nullopt;
  std::optional<tick_t> due = timers_.next_timer_tick();
  if (const auto alarm = timers_.next_alarm_day_ticks()) {
    // First tick whose previous tick's in-game time has reached the alarm.
    const tick_t ingame_now = ingame_ticks(clock_);
    const tick_t alarm_tick = *alarm >= ingame_now ? clock_.now_ticks + (*alarm - ingame_now) + 1
                                                   : clock_.now_ticks + 1;
    if (!due || alarm_tick < *due) due = alarm_tick;
  }
  return due;
}

std::optional<std::string> computer::next_input_line() {
  if (next_input_ >= setup_.input_lines.size()) return std::nullopt;
  return setup_.input_lines[next_input_++];
}

}  // namespace redrund
