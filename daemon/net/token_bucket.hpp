#pragma once

#include <algorithm>
#include <chrono>

namespace redrund::net {

// Per-connection inbound rate limit: `rate_per_second` tokens are added continuously up to
// `burst`, and each message takes one. Pure (the caller passes the time), strand-confined.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate_per_second, double burst, clock::time_point now)
      : rate_per_second_(rate_per_second), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

  // True if a message may pass now; a non-positive rate disables the limit.
  bool try_take(clock::time_point now) {
    if (rate_per_second_ <= 0) return true;
    const std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_per_second_);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_per_second_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace redrund::net
