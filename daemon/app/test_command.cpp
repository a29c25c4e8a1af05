#include "app/test_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_checks.hpp"
#include "app/exit_codes.hpp"
#include "app/junit.hpp"
#include "app/scenario.hpp"
#include "app/scenario_run.hpp"

namespace redrund {
namespace {

std::optional<scenario> load_scenario(const test_options& options) {
  const std::string& path = options.scenario_path;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    std::cerr << "redrund: cannot read " << path << "\n";
    return std::nullopt;
  }
  scenario_parse_result parsed = parse_scenario(text.str());
  for (const std::string& problem : parsed.errors) std::cerr << path << ": " << problem << "\n";
  if (!parsed.value) return std::nullopt;
  scenario& s = *parsed.value;
  if (s.name.empty()) s.name = std::filesystem::path(path).stem().string();
  if (options.seed) s.seed = *options.seed;
  if (options.time_limit_seconds) s.time_limit_seconds = *options.time_limit_seconds;
  return std::move(s);
}

std::string seconds_text(tick_t ticks) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", static_cast<double>(ticks) * seconds_per_tick);
  return buffer;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string joined;
  for (const std::string& part : parts) joined += (joined.empty() ? "" : separator) + part;
  return joined;
}

// What held, for a PASS line: "success", "running, 2 output patterns".
std::string held_text(const scenario_computer& spec) {
  std::vector<std::string> parts;
  if (spec.expect != expectation::none) parts.emplace_back(expectation_name(spec.expect));
  const std::size_t patterns = spec.output_patterns.size();
  if (patterns > 0) parts.push_back(std::to_string(patterns) + (patterns == 1 ? " output pattern" : " output patterns"));
  return join(parts, ", ");
}

// Notes, one result line per computer with an expectation, and the summary, on stdout.
// Returns whether every expectation held.
bool report(const scenario& s, const scenario_outcome& outcome) {
  std::size_t passed = 0, failed = 0, without = 0;
  for (const computer_outcome& o : outcome.computers) {
    if (o.events_dropped > 0)
      std::printf("note: %s dropped %llu events (queue full)\n", o.name.c_str(),
                  static_cast<unsigned long long>(o.events_dropped));
    if (o.output_truncated)
      std::printf("note: %s printed more than %zu bytes; patterns saw the first %zu\n", o.name.c_str(),
                  transcript_bytes_max, transcript_bytes_max);
  }
  for (std::size_t i = 0; i < outcome.computers.size(); ++i) {
    const computer_outcome& o = outcome.computers[i];
    if (!o.has_expectation) {
      ++without;
      continue;
    }
    if (o.problems.empty()) {
      ++passed;
      std::printf("PASS %s: %s\n", o.name.c_str(), held_text(s.computers[i]).c_str());
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", o.name.c_str(), join(o.problems, "; ").c_str());
    }
  }
  std::printf("%zu passed, %zu failed, %zu without expectation (simulated %s s)\n", passed, failed, without,
              seconds_text(outcome.ticks).c_str());
  return failed == 0;
}

junit_suite junit_report(const scenario& s, const scenario_outcome& outcome) {
  junit_suite suite{s.name, static_cast<double>(outcome.ticks) * seconds_per_tick, {}};
  for (const computer_outcome& o : outcome.computers) {
    if (!o.has_expectation) continue;
    junit_case c{o.name, static_cast<double>(o.finished_tick) * seconds_per_tick, std::nullopt, o.output};
    if (!o.problems.empty()) c.failure = join(o.problems, "; ");
    suite.cases.push_back(std::move(c));
  }
  return suite;
}

}  // namespace

CLI::App* add_test_command(CLI::App& app, test_options& options) {
  CLI::App* test = app.add_subcommand("test", "Run a scenario of simulated computers and check its expectations");
  test->add_option("scenario", options.scenario_path, "SCENARIO.json (format: proto/scenario.md)")->required();
  test->add_option("--seed", options.seed, "Seed for every random stream (overrides the scenario's)");
  test->add_option("--junit", options.junit_path, "Write a JUnit XML report to this file");
  test->add_option("--time-limit", options.time_limit_seconds, "Simulated seconds (overrides the scenario's)")
      ->check(CLI::Range(0.05, scenario_time_limit_seconds_max))
      ->check(finite_number);
  return test;
}

int run_test(const test_options& options) {
  const std::optional<scenario> s = load_scenario(options);
  if (!s) return exit_code::usage_error;
  // Opened first, so an unwritable report path fails before a long run.
  std::ofstream junit;
  if (!options.junit_path.empty()) {
    junit.open(options.junit_path, std::ios::binary | std::ios::trunc);
    if (!junit) {
      std::cerr << "redrund: cannot write " << options.junit_path << "\n";
      return exit_code::usage_error;
    }
  }
  std::string error;
  const std::optional<scenario_outcome> outcome = run_scenario(*s, stdout, error);
  if (!outcome) {
    std::cerr << "redrund: " << error << "\n";
    return exit_code::usage_error;
  }
  const bool all_held = report(*s, *outcome);
  std::fflush(stdout);
  if (junit.is_open()) {
    junit << junit_xml(junit_report(*s, *outcome));
    junit.close();
    if (!junit) {
      std::cerr << "redrund: cannot write " << options.junit_path << "\n";
      return exit_code::usage_error;
    }
  }
  return all_held ? exit_code::success : exit_code::program_failed;
}

}  // namespace redrund
