#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace redrund {

// `redrund run`: one computer running one program, in virtual time unless --real-time.
struct run_options {
  std::uint64_t seed = 0;
  bool real_time = false;
  double time_limit_seconds = 3600;
  std::string data_dir;             // empty: a fresh temporary directory
  std::uint32_t id = 0;
  std::string label;
  std::vector<std::string> extra_files;  // HOST[:DEST], copied into the computer first
  std::string input_file;           // lines read() returns
  std::vector<std::string> http_allow;  // hosts the http API may reach besides public ones
  bool http_enable = false;         // the http API, public hosts only (implied by http_allow)
  std::vector<std::string> command; // FILE ARGS...
};

CLI::App* add_run_command(CLI::App& app, run_options& options);
int run_program(const run_options& options);

}  // namespace redrund
