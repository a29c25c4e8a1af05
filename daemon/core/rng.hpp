#pragma once

#include <cstdint>

namespace redrund {

// A small, fast, seedable generator (xoshiro256**), identical on every platform, so a
// scenario run with the same seed draws the same numbers. Each purpose gets its own stream
// derived from (seed, stream id), so adding draws in one place never shifts another.
class rng {
 public:
  explicit rng(std::uint64_t seed);
  static rng derive(std::uint64_t seed, std::uint64_t stream_id);

  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double next_unit();
  // Uniform in [low, high], inclusive; requires low <= high.
  std::int64_t next_in_range(std::int64_t low, std::int64_t high);

 private:
  std::uint64_t state_[4];
};

}  // namespace redrund
