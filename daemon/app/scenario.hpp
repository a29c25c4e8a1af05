#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "computer/computer.hpp"
#include "config/limits.hpp"
#include "core/clock.hpp"
#include "world/faults.hpp"
#include "world/network.hpp"
#include "world/radio.hpp"

namespace redrund {

// The largest computer id (CC's ids are Java ints), in scenarios and in serve's world.json.
inline constexpr std::uint64_t scenario_computer_id_max = 2147483647;

// What a scenario expects of a computer's startup program at the end of the run.
enum class expectation : std::uint8_t { none, success, error, running };

struct scenario_file {
  std::string path;      // inside the computer, relative to its root
  std::string contents;  // bytes (decoded from base64 when given so)
};

struct scenario_computer {
  std::uint32_t id = 0;
  std::string label;  // may be empty
  placement where;
  std::vector<modem_spec> modems;
  std::vector<scenario_file> files;
  std::optional<std::string> run;  // a shell command line run at boot
  std::vector<std::string> input;
  std::vector<boot_task> tasks;  // background tasks started at boot (supervised RedRun tasks)
  expectation expect = expectation::none;
  std::vector<std::string> output_patterns;  // Lua patterns the output must contain
  computer_limits limits;

  bool has_expectation() const { return expect != expectation::none || !output_patterns.empty(); }
};

// A `redrund test` scenario (format: proto/scenario.md), validated: ids are unique, fault
// links and partitions name existing computers, patterns are well formed.
struct scenario {
  std::string name;
  std::uint64_t seed = 0;
  double time_limit_seconds = 300;
  world_clock start;
  radio_config radio;
  fault_plan faults;
  std::vector<scenario_computer> computers;  // in id order
};

// The longest time limit a scenario or --time-limit may ask for, in simulated seconds
// (about 116 simulated days): far beyond any CI run, small enough to stay exact in ticks.
inline constexpr double scenario_time_limit_seconds_max = 1e7;

struct scenario_parse_result {
  std::optional<scenario> value;    // set when there are no errors
  std::vector<std::string> errors;  // "json.path: problem", one per problem, in document order
};

// Parses and validates a scenario document. Malformed JSON gives one error naming the
// parser's message and byte offset; otherwise every problem found is reported.
scenario_parse_result parse_scenario(std::string_view json_text);

struct scenario_computer_result {
  std::optional<scenario_computer> value;  // set when there are no errors
  std::vector<std::string> errors;
  bool has_unknown_keys = false;  // some of the errors are members this version does not know
};

// Reads one record of a scenario's "computers" on its own, as parse_scenario would (`path`
// names it in errors, "computers[3]"); ids repeated across records are the caller's to find.
scenario_computer_result parse_scenario_computer(const nlohmann::json& record, const std::string& path);

const char* expectation_name(expectation e);

}  // namespace redrund
