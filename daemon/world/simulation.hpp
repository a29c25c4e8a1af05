#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "computer/computer.hpp"
#include "core/clock.hpp"
#include "world/faults.hpp"
#include "world/modem_bus.hpp"
#include "world/network.hpp"

namespace redrund {

struct world_config {
  world_clock start;
  radio_config radio;
  fault_plan faults;
  std::uint64_t seed = 0;
};

// The simulation core: owns the world clock, the network and every computer, and moves time
// forward. Single-threaded (sim thread only); the network edge talks to it through queues.
// Computers are visited in id order and take one event each per pass, so a run is a pure
// function of its setup, seed and inputs.
class simulation final : private computer_directory {
 public:
  explicit simulation(world_config config);
  explicit simulation(world_clock start) : simulation(world_config{start, {}, {}, 0}) {}
  ~simulation() override;

  // Adds a computer at a place with modems; it is off until turned on.
  computer& add_computer(computer_setup setup, output_sink& output, placement where = {},
                         const std::vector<modem_spec>& modems = {});
  void remove_computer(std::uint32_t id);
  // Called with each removed computer's id, after it is gone (for whoever keeps its state).
  void set_removal_observer(std::function<void(std::uint32_t)> on_removed) { on_removed_ = std::move(on_removed); }
  computer* find_computer(std::uint32_t id) override;
  const std::map<std::uint32_t, std::unique_ptr<computer>>& computers() const { return computers_; }
  // Moves a computer (its modems move with it).
  void move_computer(std::uint32_t id, placement where);
  // Attaches or detaches a modem while the world runs; the computer gets a `peripheral` or
  // `peripheral_detach` event, as when a modem is placed or broken in game.
  void attach_modem(std::uint32_t id, const modem_spec& spec);
  void detach_modem(std::uint32_t id, int side);

  const world_clock& clock() const { return clock_; }
  const network& net() const { return network_; }
  const fault_injector& faults() const { return faults_; }
  const modem_bus& modems() const { return modems_; }
  // Remote turnOn/shutdown/reboot calls refused because too many were already waiting.
  std::uint64_t power_requests_dropped() const { return power_requests_dropped_; }

  // Runs queued events, one per computer per pass, until every computer is idle or has used
  // its events_per_tick_max for this tick. Returns the number of events run.
  std::size_t run_ready();
  bool any_pending_events() const;
  // Moves the clock to the next tick: delayed messages land, then timers and alarms fire.
  void advance_tick();
  // Virtual time: moves the clock so the next advance_tick lands on `tick`.
  void skip_to_before(tick_t tick);
  // The earliest tick at which a timer, alarm, delayed message or power request is due.
  std::optional<tick_t> next_due_tick() const;

 private:
  void deliver(std::uint32_t computer_id, event e, tick_t delay_ticks) override;
  tick_t now_ticks() const override { return clock_.now_ticks; }
  void request_power(std::uint32_t computer_id, power_action action) override;
  void apply_power_requests();
  void queue_side_event(std::uint32_t id, const char* name, int side);

  world_clock clock_;
  network network_;
  fault_injector faults_;
  modem_bus modems_;
  std::map<std::uint32_t, std::unique_ptr<computer>> computers_;
  std::map<std::uint32_t, std::size_t> events_this_tick_;
  // Delayed deliveries keyed by (due tick, sequence): landing order is fixed.
  std::map<std::pair<tick_t, std::uint64_t>, std::pair<std::uint32_t, event>> delayed_;
  std::uint64_t delayed_sequence_ = 0;
  // Remote turnOn/shutdown/reboot requests, applied in order at the start of the next tick.
  std::vector<std::pair<std::uint32_t, power_action>> power_requests_;
  std::uint64_t power_requests_dropped_ = 0;
  std::function<void(std::uint32_t)> on_removed_;
};

// Why a run stopped.
enum class run_end : std::uint8_t { condition_met, time_limit, nothing_left };

// Drives a simulation in virtual time: runs events, and when every computer is idle jumps
// straight to the next timer. Stops when `done` holds (checked after each batch of events),
// when nothing can ever happen again, or at `limit_ticks`.
run_end run_virtual(simulation& sim, const std::function<bool()>& done, tick_t limit_ticks);

}  // namespace redrund
