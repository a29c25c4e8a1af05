#include "world/simulation.hpp"

#include <exception>

#include "core/assert.hpp"

namespace redrund {

simulation::simulation(world_config config)
    : clock_(config.start),
      network_(config.radio),
      faults_(std::move(config.faults), config.seed),
      modems_(network_, faults_, *this) {}

// Computers go first: shutting one down must not reach a network already destroyed.
simulation::~simulation() { computers_.clear(); }

computer& simulation::add_computer(computer_setup setup, output_sink& output, placement where,
                                   const std::vector<modem_spec>& modems) {
  const std::uint32_t id = setup.id;
  REDRUND_ASSERT(computers_.find(id) == computers_.end());
  auto created = std::make_unique<computer>(std::move(setup), clock_, output);
  computer& added = *created;
  added.set_peripherals(&modems_);
  computers_.emplace(id, std::move(created));
  network_.place(id, std::move(where));
  for (const modem_spec& spec : modems) network_.attach(id, spec);
  return added;
}

void simulation::remove_computer(std::uint32_t id) {
  // Shut down while the computer is still in the world, so its observers hear its tasks stop.
  if (computer* c = find_computer(id)) c->shutdown();
  const bool removed = computers_.erase(id) > 0;
  events_this_tick_.erase(id);
  network_.remove_computer(id);
  if (removed && on_removed_) on_removed_(id);
}

void simulation::move_computer(std::uint32_t id, placement where) { network_.place(id, std::move(where)); }

void simulation::queue_side_event(std::uint32_t id, const char* name, int side) {
  computer* c = find_computer(id);
  if (c == nullptr) return;
  event e{name, {}};
  e.args.items.push_back(value::of_string(peripheral_sides[side]));
  c->queue_event(std::move(e));
}

void simulation::attach_modem(std::uint32_t id, const modem_spec& spec) {
  if (network_.modem(id, spec.side) != nullptr) detach_modem(id, spec.side);
  network_.attach(id, spec);
  queue_side_event(id, "peripheral", spec.side);
}

void simulation::detach_modem(std::uint32_t id, int side) {
  if (network_.modem(id, side) == nullptr) return;
  network_.detach(id, side);
  queue_side_event(id, "peripheral_detach", side);
}

void simulation::deliver(std::uint32_t computer_id, event e, tick_t delay_ticks) {
  if (delay_ticks == 0) {
    if (computer* c = find_computer(computer_id)) c->queue_event(std::move(e));
    return;
  }
  delayed_.emplace(std::make_pair(clock_.now_ticks + delay_ticks, delayed_sequence_++),
                   std::make_pair(computer_id, std::move(e)));
}

computer* simulation::find_computer(std::uint32_t id) {
  const auto found = computers_.find(id);
  return found == computers_.end() ? nullptr : found->second.get();
}

namespace {

// One computer's step, with the exception boundary of the simulation: an exception that
// escapes stops that computer (with the error on its terminal), never the world.
template <typename Step>
std::size_t guarded_step(computer& c, Step&& step) {
  try {
    return step();
  } catch (const std::exception& e) {
    c.stop_after_fault(e.what());
  } catch (...) {
    c.stop_after_fault("unknown error");
  }
  return 1;  // the step did something: the computer stopped
}

}  // namespace

std::size_t simulation::run_ready() {
  std::size_t total = 0;
  bool progressed = true;
  while (progressed) {
    progressed = false;
    for (auto& [id, c] : computers_) {
      // Idle computers are the common case in a large world: skip them before touching the
      // per-tick budget map, which would otherwise get an entry for every computer each tick.
      if (!c->has_pending_events()) continue;
      std::size_t& used = events_this_tick_[id];
      if (used >= c->limits().events_per_tick_max) continue;
      const std::size_t ran = guarded_step(*c, [&] { return c->run_events(1); });
      used += ran;
      total += ran;
      progressed = progressed || ran > 0;
    }
  }
  return total;
}

bool simulation::any_pending_events() const {
  for (const auto& [id, c] : computers_)
    if (c->is_on() && c->has_pending_events()) return true;
  return false;
}

void simulation::request_power(std::uint32_t computer_id, power_action action) {
  // One request per caller call; the bound keeps a runaway loop of calls from growing it.
  constexpr std::size_t power_requests_max = 4096;
  if (power_requests_.size() >= power_requests_max) {
    ++power_requests_dropped_;
    return;
  }
  power_requests_.emplace_back(computer_id, action);
}

void simulation::apply_power_requests() {
  auto requests = std::move(power_requests_);
  power_requests_.clear();
  for (const auto& [id, action] : requests) {
    computer* c = find_computer(id);
    if (c == nullptr) continue;  // removed since the request
    if (action != power_action::turn_on) c->shutdown();
    if (action != power_action::shutdown) c->turn_on();
  }
}

void simulation::advance_tick() {
  ++clock_.now_ticks;
  events_this_tick_.clear();
  apply_power_requests();
  while (!delayed_.empty() && delayed_.begin()->first.first <= clock_.now_ticks) {
    auto landing = std::move(delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
    deliver(landing.first, std::move(landing.second), 0);
  }
  for (auto& [id, c] : computers_) guarded_step(*c, [&] { c->tick(); return std::size_t{0}; });
}

void simulation::skip_to_before(tick_t tick) {
  if (tick > clock_.now_ticks + 1) clock_.now_ticks = tick - 1;
}

std::optional<tick_t> simulation::next_due_tick() const {
  std::optional<tick_t> earliest;
  if (!power_requests_.empty()) return clock_.now_ticks + 1;
  if (!delayed_.empty()) earliest = delayed_.begin()->first.first;
  for (const auto& [id, c] : computers_) {
    const auto due = c->next_due_tick();
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  return earliest;
}

run_end run_virtual(simulation& sim, const std::function<bool()>& done, tick_t limit_ticks) {
  while (true) {
    sim.run_ready();
    if (done()) return run_end::condition_met;
    if (sim.clock().now_ticks >= limit_ticks) return run_end::time_limit;
    if (!sim.any_pending_events()) {
      const auto due = sim.next_due_tick();
      if (!due) return run_end::nothing_left;
      if (*due > limit_ticks) {
        sim.skip_to_before(limit_ticks + 1);
        return run_end::time_limit;
      }
      sim.skip_to_before(*due);
    }
    sim.advance_tick();
  }
}

}  // namespace redrund
