#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "computer/value.hpp"

namespace redrund {

// A computer's FIFO of pending events, bounded as CC's (256): a push into a full queue
// drops the event and counts it, and never blocks or fails the sender.
class event_queue {
 public:
  explicit event_queue(std::size_t capacity) : capacity_(capacity) {}

  bool push(event e) {
    if (events_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    events_.push_back(std::move(e));
    return true;
  }

  bool empty() const { return events_.empty(); }
  std::size_t size() const { return events_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t dropped() const { return dropped_; }

  event pop() {
    event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  void clear() { events_.clear(); }

 private:
  std::size_t capacity_;
  std::deque<event> events_;
  std::uint64_t dropped_ = 0;
};

}  // namespace redrund
