#include "world/simulation.hpp"

#include "core/assert.hpp"

namespace redrund {

simulation::simulation(world_clock start) : clock_(start) {}

computer& simulation::add_computer(computer_setup setup, output_sink& output) {
  const std::uint32_t id = setup.id;
  REDRUND_ASSERT(computers_.find(id) == computers_.end());
  auto created = std::make_unique<computer>(std::move(setup), clock_, output);
  computer& added = *created;
  computers_.emplace(id, std::move(created));
  return added;
}

void simulation::remove_computer(std::uint32_t id) {
  computers_.erase(id);
  events_this_tick_.erase(id);
}

computer* simulation::find_computer(std::uint32_t id) {
  const auto found = computers_.find(id);
  return found == computers_.end() ? nullptr : found->second.get();
}

std::size_t simulation::run_ready() {
  std::size_t total = 0;
  bool progressed = true;
  while (progressed) {
    progressed = false;
    for (auto& [id, c] : computers_) {
      std::size_t& used = events_this_tick_[id];
      if (used >= c->limits().events_per_tick_max || !c->has_pending_events()) continue;
      const std::size_t ran = c->run_events(1);
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

void simulation::advance_tick() {
  ++clock_.now_ticks;
  events_this_tick_.clear();
  for (auto& [id, c] : computers_) c->tick();
}

void simulation::skip_to_before(tick_t tick) {
  if (tick > clock_.now_ticks + 1) clock_.now_ticks = tick - 1;
}

std::optional<tick_t> simulation::next_due_tick() const {
  std::optional<tick_t> earliest;
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
