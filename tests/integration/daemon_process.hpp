#pragma once

// A `redrund serve` child process for C++ integration tests and benchmarks: started on
// ephemeral loopback ports with a data directory of its own, its bound addresses read from the
// "listening:" log line (so its log level must be info or lower). Its output is drained by a thread (so a chatty daemon never blocks on
// a full pipe) and the last lines are kept for error messages.

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace redrund::testing {

class daemon_process {
 public:
  // Runs `binary serve --data DIR --tcp/--ws/--http 127.0.0.1:0 ...extra`; DIR is a fresh
  // temporary directory (removed by the destructor) unless `data_dir` is given. Throws
  // std::runtime_error, with the daemon's log, if it does not report its addresses in 30 s.
  explicit daemon_process(const std::string& binary, const std::vector<std::string>& extra = {},
                          std::filesystem::path data_dir = {});
  ~daemon_process();
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  const std::string& tcp() const { return tcp_; }  // "127.0.0.1:PORT"
  const std::string& ws() const { return ws_; }
  const std::string& http() const { return http_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  // SIGTERM, then waits (up to 30 s, then SIGKILL); returns the exit status, or -1 when it did
  // not exit on its own. Idempotent.
  int stop();
  // Resident set size of the daemon from /proc (0 when unknown).
  std::size_t rss_bytes() const;
  // CPU time the daemon has used, all threads, in seconds (from /proc, 10 ms resolution).
  double cpu_seconds() const;
  // The daemon's last log lines, for failure messages.
  std::string recent_log() const;

 private:
  void drain(int fd);
  // Moves the complete lines of `pending` into the log, showing each to `on_line` first.
  template <class OnLine>
  void take_lines(std::string& pending, OnLine&& on_line);

  pid_t pid_ = -1;
  int exit_status_ = -1;
  bool owns_data_ = false;
  std::filesystem::path data_dir_;
  std::string tcp_, ws_, http_;
  std::thread reader_;
  mutable std::mutex log_mutex_;
  std::deque<std::string> log_;  // the last lines, at most log_lines_max
};

// Splits "HOST:PORT" (IPv4 or name) into its parts.
std::pair<std::string, std::string> split_address(const std::string& address);

}  // namespace redrund::testing
