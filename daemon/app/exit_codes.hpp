#pragma once

namespace redrund::exit_code {

// `redrund run` / `redrund test` exit statuses (documented in the README).
inline constexpr int success = 0;
inline constexpr int program_failed = 1;
inline constexpr int usage_error = 2;
inline constexpr int time_limit = 3;

}  // namespace redrund::exit_code
