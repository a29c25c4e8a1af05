#include "integration/daemon_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <regex>
#include <stdexcept>
#include <system_error>

namespace redrund::testing {
namespace {

constexpr std::size_t log_lines_max = 40;
constexpr auto start_timeout = std::chrono::seconds(30);
constexpr auto stop_timeout = std::chrono::seconds(30);

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "redrund-daemon-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  return pattern;
}

[[noreturn]] void exec_daemon(const std::string& binary, const std::vector<std::string>& args, int stderr_fd) {
  // Both streams: errors found before logging is set up go to stdout.
  dup2(stderr_fd, STDERR_FILENO);
  dup2(stderr_fd, STDOUT_FILENO);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

}  // namespace

std::pair<std::string, std::string> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("not HOST:PORT: " + address);
  return {address.substr(0, colon), address.substr(colon + 1)};
}

daemon_process::daemon_process(const std::string& binary, const std::vector<std::string>& extra,
                               std::filesystem::path data_dir)
    : owns_data_(data_dir.empty()), data_dir_(owns_data_ ? make_temp_dir() : std::move(data_dir)) {
  std::vector<std::string> args{"serve",          "--data", data_dir_.string(), "--tcp", "127.0.0.1:0",
                                "--ws",           "127.0.0.1:0", "--http", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  pid_ = fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) exec_daemon(binary, args, pipe_fds[1]);
  close(pipe_fds[1]);

  // Reads the log until the daemon names its addresses (or gives up, or the deadline passes).
  const std::regex listening(R"(listening: tcp=(\S+) ws=(\S+) http=(\S+))");
  const auto deadline = std::chrono::steady_clock::now() + start_timeout;
  std::string pending;
  char buffer[4096];
  while (ws_.empty() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
    if (got <= 0) break;  // the daemon exited
    pending.append(buffer, static_cast<std::size_t>(got));
    take_lines(pending, [&](const std::string& line) {
      std::smatch m;
      if (!std::regex_search(line, m, listening)) return;
      tcp_ = m[1];
      ws_ = m[2];
      http_ = m[3];
    });
  }
  const int fd = pipe_fds[0];
  reader_ = std::thread([this, fd] { drain(fd); });
  if (ws_.empty()) {
    stop();
    const std::string log = recent_log();
    if (owns_data_) std::filesystem::remove_all(data_dir_);
    reader_.join();
    throw std::runtime_error("redrund serve did not start:\n" + log);
  }
}

daemon_process::~daemon_process() {
  stop();
  if (reader_.joinable()) reader_.join();
  std::error_code ignored;
  if (owns_data_) std::filesystem::remove_all(data_dir_, ignored);
}

void daemon_process::drain(int fd) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(got));
    take_lines(pending, [](const std::string&) {});
  }
  close(fd);
}

template <class OnLine>
void daemon_process::take_lines(std::string& pending, OnLine&& on_line) {
  for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
    std::string line = pending.substr(0, newline);
    pending.erase(0, newline + 1);
    on_line(line);
    std::lock_guard lock(log_mutex_);
    log_.push_back(std::move(line));
    if (log_.size() > log_lines_max) log_.pop_front();
  }
}

int daemon_process::stop() {
  if (pid_ <= 0) return exit_status_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + stop_timeout;
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (done == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    exit_status_ = -1;
  } else {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_ = -1;
  return exit_status_;
}

std::size_t daemon_process::rss_bytes() const {
  if (pid_ <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

double daemon_process::cpu_seconds() const {
  if (pid_ <= 0) return 0;
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces, so skip past its closing paren):
  // state is field 3; utime and stime are fields 14 and 15.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; fields >> field && index <= 15; ++index)
    if (index == 14 || index == 15) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string daemon_process::recent_log() const {
  std::lock_guard lock(log_mutex_);
  std::string out;
  for (const std::string& line : log_) out += line + '\n';
  return out;
}

}  // namespace redrund::testing
