#pragma once

// A simulation with computers that run Lua programs given as strings, in virtual time, with
// their output captured. Each computer gets its own temporary directory.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "app/temp_dir.hpp"
#include "world/simulation.hpp"

namespace redrund::testing {

struct captured_line {
  std::uint32_t computer_id;
  output_stream stream;
  std::string text;
};

class capture_output final : public output_sink {
 public:
  void line(std::uint32_t id, output_stream stream, std::string_view text) override {
    lines.push_back({id, stream, std::string(text)});
  }
  // Every line of one computer (and stream), joined with "\n".
  std::string text_of(std::uint32_t id, output_stream stream = output_stream::out) const {
    std::string joined;
    for (const auto& l : lines) {
      if (l.computer_id != id || l.stream != stream) continue;
      if (!joined.empty()) joined += "\n";
      joined += l.text;
    }
    return joined;
  }
  std::vector<captured_line> lines;
};

// Limits small enough that memory bombs and busy loops hit them in milliseconds: 2 million
// instructions to the soft timeout, 1 million more to the hard abort.
inline computer_limits small_limits(std::size_t memory_bytes_max = 4 * 1024 * 1024) {
  computer_limits limits;
  limits.memory_bytes_max = memory_bytes_max;
  limits.timeout_soft_instructions = 2'000'000;
  limits.timeout_hard_instructions = 1'000'000;
  return limits;
}

class sim_fixture {
 public:
  explicit sim_fixture(std::uint64_t seed = 1) : seed_(seed), sim_(world_clock{}) {}

  // Adds a computer whose startup program is `program` (saved as /main.lua).
  computer& add(std::uint32_t id, const std::string& program, computer_limits limits = {}) {
    dirs_.push_back(std::make_unique<temp_dir>());
    std::ofstream(dirs_.back()->path() / "main.lua", std::ios::binary) << program;
    computer_setup setup;
    setup.id = id;
    setup.data_dir = dirs_.back()->path();
    setup.limits = limits;
    setup.seed = seed_;
    setup.startup = startup_program{"main.lua", {}, {}};
    computer& c = sim_.add_computer(std::move(setup), output);
    c.turn_on();
    return c;
  }

  // Runs until every computer's program has ended (or it is off), or `limit_seconds` of
  // simulated time.
  run_end run(double limit_seconds = 600) {
    const auto all_done = [this] {
      for (const auto& [id, c] : sim_.computers())
        if (!c->program_done()) return false;
      return true;
    };
    return run_virtual(sim_, all_done, static_cast<tick_t>(limit_seconds * 20));
  }

  // Runs one program on computer 0 to completion and returns its output.
  std::string run_program(const std::string& program, computer_limits limits = {}) {
    add(0, program, limits);
    run();
    return output.text_of(0);
  }

  simulation& sim() { return sim_; }
  capture_output output;

 private:
  std::uint64_t seed_;
  std::vector<std::unique_ptr<temp_dir>> dirs_;
  simulation sim_;
};

}  // namespace redrund::testing
