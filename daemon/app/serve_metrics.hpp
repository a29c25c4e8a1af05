#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "service/rpc_service.hpp"
#include "world/simulation.hpp"

namespace redrund {

// The queue of client messages waiting for the simulation thread.
struct inbox_stats {
  std::size_t depth = 0;      // messages waiting now
  std::uint64_t refused = 0;  // messages refused because it was full (answered -32004)
};

// /metrics and /healthz: the simulation thread publishes a finished Prometheus text every
// tick; network threads only read the published copy (the sim never reads metrics back).
class published_metrics {
 public:
  void publish(const simulation& sim, const rpc_service& service, inbox_stats inbox, double tick_lag_seconds);
  std::string text() const;
  // Healthy while the simulation thread keeps publishing (it is not stuck).
  bool healthy() const;

 private:
  mutable std::mutex mutex_;
  std::string text_;
  std::chrono::steady_clock::time_point published_at_{};
};

}  // namespace redrund
