#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "core/rng.hpp"
#include "core/ticks.hpp"

namespace redrund {

// Computers in different groups cannot hear each other from tick `from_tick` until (not
// including) `to_tick`. Computers listed in no group are unaffected.
struct partition {
  std::vector<std::set<std::uint32_t>> groups;
  tick_t from_tick = 0;
  tick_t to_tick = 0;
};

// Loss probability on the link between two computers (both directions), replacing the
// global one for that pair.
struct link_fault {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  double loss = 0;
};

// Fault injection for CI scenarios. All randomness comes from the run's seeded stream.
struct fault_plan {
  double loss = 0;
  tick_t delay_ticks = 0;
  std::vector<link_fault> links;
  std::vector<partition> partitions;
};

struct fault_stats {
  std::uint64_t lost = 0;
  std::uint64_t partitioned = 0;
  std::uint64_t delayed = 0;
};

// Decides the fate of each copy of a packet: dropped, delayed, or delivered now.
class fault_injector {
 public:
  fault_injector(fault_plan plan, std::uint64_t seed);

  struct verdict {
    bool deliver = true;
    tick_t delay_ticks = 0;
  };
  verdict judge(std::uint32_t from, std::uint32_t to, tick_t now);
  const fault_stats& stats() const { return stats_; }
  const fault_plan& plan() const { return plan_; }

 private:
  bool partitioned(std::uint32_t from, std::uint32_t to, tick_t now) const;
  double loss_between(std::uint32_t from, std::uint32_t to) const;

  fault_plan plan_;
  rng random_;
  fault_stats stats_;
};

}  // namespace redrund
