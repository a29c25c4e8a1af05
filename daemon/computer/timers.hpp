#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/ticks.hpp"

namespace redrund {

// A computer's timers and alarms (CC's OSAPI). Timer and alarm ids come from two separate
// counters that start at 0 and survive reboots; only pending entries are cleared at boot.
// Lua-free; the os binding converts seconds and hours.
class timer_set {
 public:
  // Timer ids are ints in CC; a computer that starts more than this many timers in one boot
  // has its oldest pending ones refused (counted), which keeps the set bounded.
  static constexpr std::size_t pending_max = 1 << 16;

  // A timer of `ticks` (<= 1 fires on the next tick) started at `now`.
  std::int64_t start_timer(tick_t now, std::int64_t ticks);
  void cancel_timer(std::int64_t id);
  // An alarm firing once the in-game clock passes `target_day_ticks`, measured in in-game
  // ticks since day 1 00:00 (CC fires it on the tick after it is passed).
  std::int64_t set_alarm(tick_t target_day_ticks);
  void cancel_alarm(std::int64_t id);
  void clear_pending();

  // Ids of alarms due when the previous tick's in-game time was `previous_day_ticks`, and
  // of timers due at `now`, each removed; alarms are reported first, as CC queues them.
  std::vector<std::int64_t> take_due_alarms(tick_t previous_day_ticks);
  std::vector<std::int64_t> take_due_timers(tick_t now);

  std::optional<tick_t> next_timer_tick() const;
  // The in-game time (day ticks) of the earliest alarm.
  std::optional<tick_t> next_alarm_day_ticks() const;
  std::size_t pending() const { return timers_by_id_.size() + alarms_by_id_.size(); }
  std::uint64_t refused() const { return refused_; }

 private:
  using key = std::pair<tick_t, std::int64_t>;  // (due, id): ordered, so firing order is fixed
  std::map<key, bool> timers_;
  std::map<std::int64_t, tick_t> timers_by_id_;
  std::map<key, bool> alarms_;
  std::map<std::int64_t, tick_t> alarms_by_id_;
  std::int64_t next_timer_id_ = 0;
  std::int64_t next_alarm_id_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace redrund
