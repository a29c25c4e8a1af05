#include "core/rng.hpp"

#include "core/assert.hpp"

namespace redrund {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

rng::rng(std::uint64_t seed) {
  for (auto& word : state_) word = splitmix64(seed);
}

rng rng::derive(std::uint64_t seed, std::uint64_t stream_id) {
  std::uint64_t mixed = seed ^ (stream_id * 0xd1b54a32d192ed03ULL);
  return rng(splitmix64(mixed));
}

std::uint64_t rng::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double rng::next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::int64_t rng::next_in_range(std::int64_t low, std::int64_t high) {
  REDRUND_ASSERT(low <= high);
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) + 1;
  if (span == 0) return static_cast<std::int64_t>(next_u64());  // the whole 64-bit range
  // Rejection sampling keeps the distribution uniform.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  std::uint64_t draw = next_u64();
  while (draw >= limit) draw = next_u64();
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + draw % span);
}

}  // namespace redrund
