// Clocks and memory readings shared by the benchmarks.
//
// Benchmarks report wall time (what a user waits) and, beside it, the process's CPU time: on a
// machine that is busy with other work, wall time also counts the time this process waited for
// a core, while CPU time counts only the work it did.
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

namespace redrund::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU time used by this process so far, all threads, in seconds.
inline double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Wall and CPU time of one measured stretch.
class stopwatch {
 public:
  stopwatch() : wall_start_(clock_type::now()), cpu_start_(process_cpu_seconds()) {}
  double wall_seconds() const { return seconds_since(wall_start_); }
  double cpu_seconds() const { return process_cpu_seconds() - cpu_start_; }

 private:
  clock_type::time_point wall_start_;
  double cpu_start_;
};

// How many operations a measured stretch did, and the wall and CPU time it took.
struct measured_rate {
  double operations = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;
  double per_wall_second() const { return operations / wall_seconds; }
  double per_cpu_second() const { return operations / cpu_seconds; }
};

// One line: both rates per wall second, and their ratio by wall and by CPU time. For
// single-threaded stretches the CPU ratio is the one that a busy machine does not distort.
inline void print_ratio(const char* what, const measured_rate& measured, const char* baseline_name,
                        const measured_rate& baseline, double aim) {
  std::printf("%s: %.0f/s; %s: %.0f/s; ratio %.3f by wall time, %.3f by CPU time (aim >= %.2g)\n", what,
              measured.per_wall_second(), baseline_name, baseline.per_wall_second(),
              measured.per_wall_second() / baseline.per_wall_second(),
              measured.per_cpu_second() / baseline.per_cpu_second(), aim);
}

// What a benchmark checks about the work it timed. A run whose work went wrong (messages lost,
// computers that never booted, fixes that are wrong) must fail rather than print figures as if
// the work had been done; ctest runs each benchmark's --smoke and relies on this.
class verdict {
 public:
  void require(bool ok, const std::string& what) {
    if (ok) return;
    std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
    ++failures_;
  }
  int exit_code() const { return failures_ == 0 ? 0 : 1; }

 private:
  int failures_ = 0;
};

// Resident set size of this process in KiB, or -1 when /proc cannot tell.
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace redrund::bench
