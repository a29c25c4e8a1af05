#include "computer/timers.hpp"

namespace redrund {
namespace {

using entry_map = std::map<std::pair<tick_t, std::int64_t>, bool>;

std::vector<std::int64_t> take_until(entry_map& entries, std::map<std::int64_t, tick_t>& by_id,
                                     tick_t limit) {
  std::vector<std::int64_t> due;
  while (!entries.empty() && entries.begin()->first.first <= limit) {
    const std::int64_t id = entries.begin()->first.second;
    entries.erase(entries.begin());
    by_id.erase(id);
    due.push_back(id);
  }
  return due;
}

void erase_by_id(entry_map& entries, std::map<std::int64_t, tick_t>& by_id, std::int64_t id) {
  const auto found = by_id.find(id);
  if (found == by_id.end()) return;  // unknown ids are ignored, as CC
  entries.erase({found->second, id});
  by_id.erase(found);
}

}  // namespace

std::int64_t timer_set::start_timer(tick_t now, std::int64_t ticks) {
  const std::int64_t id = next_timer_id_++;
  if (pending() >= pending_max) {
    ++refused_;
    return id;
  }
  const tick_t due = now + static_cast<tick_t>(ticks < 1 ? 1 : ticks);
  timers_.emplace(key{due, id}, true);
  timers_by_id_.emplace(id, due);
  return id;
}

void timer_set::cancel_timer(std::int64_t id) { erase_by_id(timers_, timers_by_id_, id); }

std::int64_t timer_set::set_alarm(tick_t target_day_ticks) {
  const std::int64_t id = next_alarm_id_++;
  if (pending() >= pending_max) {
    ++refused_;
    return id;
  }
  alarms_.emplace(key{target_day_ticks, id}, true);
  alarms_by_id_.emplace(id, target_day_ticks);
  return id;
}

void timer_set::cancel_alarm(std::int64_t id) { erase_by_id(alarms_, alarms_by_id_, id); }

void timer_set::clear_pending() {
  timers_.clear();
  timers_by_id_.clear();
  alarms_.clear();
  alarms_by_id_.clear();
}

std::vector<std::int64_t> timer_set::take_due_alarms(tick_t previous_day_ticks) {
  return take_until(alarms_, alarms_by_id_, previous_day_ticks);
}

std::vector<std::int64_t> timer_set::take_due_timers(tick_t now) {
  return take_until(timers_, timers_by_id_, now);
}

std::optional<tick_t> timer_set::next_timer_tick() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

std::optional<tick_t> timer_set::next_alarm_day_ticks() const {
  if (alarms_.empty()) return std::nullopt;
  return alarms_.begin()->first.first;
}

}  // namespace redrund
