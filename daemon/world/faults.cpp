#include "world/faults.hpp"

#include <utility>

namespace redrund {
namespace {

// The fault stream is separate from every computer's math.random stream.
constexpr std::uint64_t fault_stream = 0x6661756c74;

int group_of(const partition& p, std::uint32_t computer) {
  for (std::size_t i = 0; i < p.groups.size(); ++i)
    if (p.groups[i].count(computer) != 0) return static_cast<int>(i);
  return -1;
}

}  // namespace

fault_injector::fault_injector(fault_plan plan, std::uint64_t seed)
    : plan_(std::move(plan)), random_(rng::derive(seed, fault_stream)) {}

bool fault_injector::partitioned(std::uint32_t from, std::uint32_t to, tick_t now) const {
  for (const partition& p : plan_.partitions) {
    if (now < p.from_tick || now >= p.to_tick) continue;
    const int a = group_of(p, from), b = group_of(p, to);
    if (a >= 0 && b >= 0 && a != b) return true;
  }
  return false;
}

double fault_injector::loss_between(std::uint32_t from, std::uint32_t to) const {
  for (const link_fault& link : plan_.links)
    if ((link.a == from && link.b == to) || (link.a == to && link.b == from)) return link.loss;
  return plan_.loss;
}

fault_injector::verdict fault_injector::judge(std::uint32_t from, std::uint32_t to, tick_t now) {
  if (partitioned(from, to, now)) {
    ++stats_.partitioned;
    return {false, 0};
  }
  const double loss = loss_between(from, to);
  // Draw only when loss applies, so fault-free links leave the stream untouched.
  if (loss > 0 && random_.next_unit() < loss) {
    ++stats_.lost;
    return {false, 0};
  }
  if (plan_.delay_ticks > 0) ++stats_.delayed;
  return {true, plan_.delay_ticks};
}

}  // namespace redrund
