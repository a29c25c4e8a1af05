#pragma once

// A networked world for tests: computers with a placement (position, dimension) and modems,
// running Lua programs given as strings (or shell command lines such as "gps host 1 2 3"),
// in virtual time, with their output captured. Like sim_fixture, but through
// simulation(world_config), so radio, faults and the seed are the test's to choose.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/temp_dir.hpp"
#include "computer/peripheral_bus.hpp"
#include "support/sim_fixture.hpp"
#include "world/simulation.hpp"

namespace redrund::testing {

inline placement at(double x, double y, double z, std::string dimension = "overworld") {
  return placement{position{x, y, z}, std::move(dimension)};
}

inline int side_of(std::string_view side) {
  for (int i = 0; i < peripheral_side_count; ++i)
    if (side == peripheral_sides[i]) return i;
  return -1;
}

inline modem_spec wireless(std::string_view side) { return {side_of(side), modem_kind::wireless, {}}; }
inline modem_spec ender(std::string_view side) { return {side_of(side), modem_kind::ender, {}}; }
inline modem_spec wired(std::string_view side, std::string cable) {
  return {side_of(side), modem_kind::wired, std::move(cable)};
}

inline world_config world_with(std::uint64_t seed, fault_plan faults = {}, radio_config radio = {}) {
  world_config config;
  config.seed = seed;
  config.faults = std::move(faults);
  config.radio = radio;
  return config;
}

class world_fixture {
 public:
  explicit world_fixture(world_config config = world_with(1)) : seed_(config.seed), sim_(std::move(config)) {}

  // A computer whose startup program is `program` (saved as /main.lua). The run waits for
  // it to end (see run()).
  computer& add(std::uint32_t id, const std::string& program, placement where = {},
                const std::vector<modem_spec>& modems = {}) {
    awaited_.insert(id);
    return add_with(id, startup_program{"main.lua", {}, {}}, {{"main.lua", program}}, std::move(where), modems);
  }

  // A computer running a shell command line at boot ("repeat", "gps host 1 2 3"). Such
  // programs usually run forever, so the run does not wait for them.
  computer& add_command(std::uint32_t id, const std::string& command, placement where = {},
                        const std::vector<modem_spec>& modems = {}) {
    return add_with(id, startup_program{{}, {}, command}, {}, std::move(where), modems);
  }

  // The general form: any startup, extra files (path -> contents), label.
  computer& add_with(std::uint32_t id, startup_program startup,
                     const std::map<std::string, std::string>& files, placement where,
                     const std::vector<modem_spec>& modems, const std::string& label = {}) {
    dirs_.push_back(std::make_unique<temp_dir>());
    for (const auto& [path, text] : files)
      std::ofstream(dirs_.back()->path() / path, std::ios::binary) << text;
    computer_setup setup;
    setup.id = id;
    setup.label = label;
    setup.data_dir = dirs_.back()->path();
    setup.seed = seed_;
    setup.limits = limits;
    setup.startup = std::move(startup);
    computer& c = sim_.add_computer(std::move(setup), output, std::move(where), modems);
    c.turn_on();
    return c;
  }

  // Runs until every awaited computer's program has ended (or it is off), or `limit_seconds`
  // of simulated time have passed since the start of the world.
  run_end run(double limit_seconds = 600) {
    return run_until([this] { return awaited_done(); }, limit_seconds);
  }

  // Runs until `done` holds, or the world clock reaches `limit_seconds`.
  template <typename Done>
  run_end run_until(Done done, double limit_seconds) {
    return run_virtual(sim_, done, static_cast<tick_t>(limit_seconds * 20));
  }

  // Runs exactly up to the given world time (in seconds), whatever the computers do.
  void run_to(double seconds) {
    run_virtual(sim_, [] { return false; }, static_cast<tick_t>(seconds * 20));
  }

  bool awaited_done() const {
    for (const std::uint32_t id : awaited_) {
      const auto found = sim_.computers().find(id);
      if (found != sim_.computers().end() && !found->second->program_done()) return false;
    }
    return true;
  }

  // Output of one computer, stdout lines joined with "\n". With WORLD_DUMP set in the
  // environment, each call also prints it (tabs and newlines escaped) to stderr, which is the
  // quickest way to see what a failing expectation actually got.
  std::string out(std::uint32_t id) const {
    if (std::getenv("WORLD_DUMP")) std::fprintf(stderr, "[%u] %s\n", id, escaped(output.text_of(id)).c_str());
    return output.text_of(id);
  }
  static std::string escaped(const std::string& s) {  // tab -> \t, newline -> \n
    std::string r;
    for (char ch : s) r += ch == '\t' ? std::string("\\t") : ch == '\n' ? std::string("\\n") : std::string(1, ch);
    return r;
  }
  std::string err(std::uint32_t id) const { return output.text_of(id, output_stream::err); }

  // Every captured line, tagged with its computer: a run's whole observable trace.
  std::string trace() const {
    std::string all;
    for (const auto& l : output.lines)
      all += std::to_string(l.computer_id) + (l.stream == output_stream::err ? "!" : ":") + l.text + "\n";
    return all;
  }

  computer& get(std::uint32_t id) { return *sim_.find_computer(id); }
  simulation& sim() { return sim_; }
  capture_output output;
  computer_limits limits;  // for the computers added from now on

 private:
  std::uint64_t seed_;
  std::vector<std::unique_ptr<temp_dir>> dirs_;
  std::set<std::uint32_t> awaited_;
  simulation sim_;
};

}  // namespace redrund::testing
