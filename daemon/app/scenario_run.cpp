#include "app/scenario_run.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <memory>

#include "app/json_checker.hpp"
#include "app/temp_dir.hpp"
#include "computer/lua_pattern.hpp"

namespace redrund {
namespace {

std::string display_name(const scenario_computer& c) {
  return (c.label.empty() ? std::string("computer") : c.label) + "#" + std::to_string(c.id);
}

// Prints each line with its computer's name and keeps a capped transcript per computer.
class scenario_output final : public output_sink {
 public:
  struct transcript {
    std::string name;
    std::string text;
    std::string last_error_line;
    bool truncated = false;
  };

  explicit scenario_output(std::FILE* out) : out_(out) {}

  void add(std::uint32_t id, std::string name) { transcripts_[id].name = std::move(name); }
  transcript& of(std::uint32_t id) { return transcripts_[id]; }

  void line(std::uint32_t id, output_stream stream, std::string_view text) override {
    transcript& t = transcripts_[id];
    std::fprintf(out_, "[%s] ", t.name.c_str());
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fputc('\n', out_);
    if (stream == output_stream::err) t.last_error_line = text;
    const std::size_t needed = text.size() + (t.text.empty() ? 0 : 1);
    if (t.truncated || t.text.size() + needed > transcript_bytes_max) {
      t.truncated = true;
      return;
    }
    if (!t.text.empty()) t.text += '\n';
    t.text += text;
  }

 private:
  std::FILE* out_;
  std::map<std::uint32_t, transcript> transcripts_;
};

}  // namespace

bool write_files(const scenario_computer& c, const std::filesystem::path& root, std::string& error) {
  for (const scenario_file& file : c.files) {
    const std::filesystem::path target = root / file.path;
    std::error_code ignored;
    std::filesystem::create_directories(target.parent_path(), ignored);
    std::ofstream stream(target, std::ios::binary);
    stream.write(file.contents.data(), static_cast<std::streamsize>(file.contents.size()));
    if (!stream) {
      error = "cannot write " + file.path + " for " + display_name(c);
      return false;
    }
  }
  return true;
}

computer_setup setup_for(const scenario_computer& c, const std::filesystem::path& data, std::uint64_t seed) {
  computer_setup setup;
  setup.id = c.id;
  setup.label = c.label;
  setup.data_dir = data;
  setup.limits = c.limits;
  setup.seed = seed;
  if (c.run) setup.startup = startup_program{{}, {}, *c.run};
  setup.input_lines = c.input;
  setup.tasks = c.tasks;
  return setup;
}

namespace {

// Success: the program returned without error, or the computer was turned off by it (off
// without a stop reason). Error: the program raised, or the computer stopped on an error.
void judge_outcome(const computer& c, const scenario_output::transcript& t, computer_outcome& result) {
  if (!c.stop_reason().empty()) {
    result.outcome = program_outcome::error;
    result.error = c.stop_reason();
  } else if (c.startup_state() == program_state::failed) {
    result.outcome = program_outcome::error;
    result.error = t.last_error_line;
  } else if (c.startup_state() == program_state::succeeded || !c.is_on()) {
    result.outcome = program_outcome::success;
  } else {
    result.outcome = program_outcome::running;
  }
}

const char* outcome_name(program_outcome o) {
  switch (o) {
    case program_outcome::success: return "success";
    case program_outcome::error: return "error";
    case program_outcome::running: return "running";
  }
  return "?";
}

std::string why_still_running(run_end end, const scenario& s) {
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", s.time_limit_seconds);
  if (end == run_end::nothing_left) return " (waiting for an event that can never arrive)";
  if (end == run_end::time_limit) return std::string(" (simulated time limit of ") + limit + " s reached)";
  return "";
}

void check_expectations(const scenario& s, const scenario_computer& spec, run_end end, computer_outcome& result) {
  const bool expected = spec.expect == expectation::none ||
                        std::string_view(expectation_name(spec.expect)) == outcome_name(result.outcome);
  if (!expected) {
    std::string got = std::string("expected ") + expectation_name(spec.expect) + ", got " + outcome_name(result.outcome);
    if (result.outcome == program_outcome::error) got += ": " + result.error;
    if (result.outcome == program_outcome::running) got += why_still_running(end, s);
    result.problems.push_back(std::move(got));
  }
  for (const std::string& pattern : spec.output_patterns) {
    std::string error;
    if (lua_pattern_find(result.output, pattern, error)) continue;
    result.problems.push_back(error.empty() ? "output lacks pattern " + json_quoted(pattern)
                                            : "output pattern " + json_quoted(pattern) + " failed: " + error);
  }
}

// Notes when each program ends; the run is over once every computer expected to end
// (success or error) has. With none expected to end, the run goes on until nothing can
// happen any more or the time limit, so "running" and output expectations see it all.
class completion_tracker {
 public:
  completion_tracker(const scenario& s, simulation& sim) : sim_(sim) {
    for (const scenario_computer& c : s.computers) {
      const bool waits = c.expect == expectation::success || c.expect == expectation::error;
      entries_.push_back({sim.find_computer(c.id), waits, std::nullopt});
      any_waits_ = any_waits_ || waits;
    }
  }

  bool all_done() {
    bool done = any_waits_;
    for (entry& e : entries_) {
      if (!e.finished_tick && e.machine->program_done()) e.finished_tick = sim_.clock().now_ticks;
      done = done && (!e.waits || e.finished_tick);
    }
    return done;
  }

  std::optional<tick_t> finished_tick(std::size_t index) const { return entries_[index].finished_tick; }

 private:
  struct entry {
    computer* machine;
    bool waits;
    std::optional<tick_t> finished_tick;
  };
  simulation& sim_;
  std::vector<entry> entries_;
  bool any_waits_ = false;
};

}  // namespace

std::optional<scenario_outcome> run_scenario(const scenario& s, std::FILE* out, std::string& error) {
  // Declared before the simulation: computers flush their output while it is destroyed,
  // and their directories must outlive them.
  std::vector<std::unique_ptr<temp_dir>> dirs;
  scenario_output output(out);
  simulation sim(world_config{s.start, s.radio, s.faults, s.seed});
  for (const scenario_computer& c : s.computers) {
    dirs.push_back(std::make_unique<temp_dir>());
    if (!write_files(c, dirs.back()->path(), error)) return std::nullopt;
    output.add(c.id, display_name(c));
    sim.add_computer(setup_for(c, dirs.back()->path(), s.seed), output, c.where, c.modems);
  }
  for (const auto& [id, c] : sim.computers()) c->turn_on();  // a map: id order

  completion_tracker tracker(s, sim);
  const auto limit_ticks = static_cast<tick_t>(std::ceil(s.time_limit_seconds * ticks_per_second));
  scenario_outcome result;
  result.end = run_virtual(sim, [&tracker] { return tracker.all_done(); }, limit_ticks);
  tracker.all_done();  // notes programs that ended in the last batch
  result.ticks = sim.clock().now_ticks;

  for (std::size_t i = 0; i < s.computers.size(); ++i) {
    const scenario_computer& spec = s.computers[i];
    computer& c = *sim.find_computer(spec.id);
    computer_outcome& o = result.computers.emplace_back();
    o.id = spec.id;
    o.name = display_name(spec);
    o.has_expectation = spec.has_expectation();
    o.finished_tick = tracker.finished_tick(i).value_or(result.ticks);
    o.events_dropped = c.queue().dropped();
    judge_outcome(c, output.of(spec.id), o);
    c.shutdown();  // writes out a last unfinished line
  }
  for (std::size_t i = 0; i < s.computers.size(); ++i) {
    computer_outcome& o = result.computers[i];
    o.output = output.of(o.id).text;
    o.output_truncated = output.of(o.id).truncated;
    if (o.has_expectation) check_expectations(s, s.computers[i], result.end, o);
  }
  return result;
}

}  // namespace redrund
