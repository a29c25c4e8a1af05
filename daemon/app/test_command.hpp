#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace redrund {

// `redrund test SCENARIO.json`: a CI harness that runs a scenario in virtual time and gives
// each computer with an expectation a verdict (format: proto/scenario.md).
struct test_options {
  std::string scenario_path;
  std::optional<std::uint64_t> seed;                // overrides the scenario's
  std::optional<double> time_limit_seconds;         // overrides the scenario's
  std::string junit_path;                           // empty: no JUnit report
};

CLI::App* add_test_command(CLI::App& app, test_options& options);
// Exit status: 0 every expectation held, 1 one failed, 2 usage error or invalid scenario.
int run_test(const test_options& options);

}  // namespace redrund
