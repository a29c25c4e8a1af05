#pragma once

namespace redrund::exit_code {

// `redrund run` / `redrund test` / `redrund serve` exit statuses (documented in the README).
inline constexpr int success = 0;
inline constexpr int program_failed = 1;
// `redrund serve`: the world could not be saved when the daemon stopped.
inline constexpr int save_failed = 1;
inline constexpr int usage_error = 2;
inline constexpr int time_limit = 3;

}  // namespace redrund::exit_code
