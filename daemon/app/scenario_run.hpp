#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "core/ticks.hpp"
#include "world/simulation.hpp"

namespace redrund {

// What a computer's startup program came to by the end of a run.
enum class program_outcome : std::uint8_t { success, error, running };

struct computer_outcome {
  std::uint32_t id = 0;
  std::string name;  // "label#id", label falling back to "computer"
  bool has_expectation = false;
  program_outcome outcome = program_outcome::running;
  std::string error;             // the error, when outcome is error
  tick_t finished_tick = 0;      // when the program ended, or the end of the run
  std::string output;            // both streams, lines joined with "\n" (capped)
  bool output_truncated = false;
  std::uint64_t events_dropped = 0;
  std::vector<std::string> problems;  // unmet expectations; empty when they all held
};

struct scenario_outcome {
  std::vector<computer_outcome> computers;  // in id order
  tick_t ticks = 0;
  run_end end = run_end::condition_met;
};

// The most output kept per computer for patterns and reports; a program that prints
// forever cannot exhaust the host (its lines are still shown as they happen).
inline constexpr std::size_t transcript_bytes_max = 4 * 1024 * 1024;

// Runs a validated scenario in virtual time, printing every output line to `out` as
// "[label#id] text" as it happens, and judges each computer's expectations. Returns
// std::nullopt with `error` set when the computers' files cannot be prepared.
// Writes a scenario computer's `files` under `root`; false (and `error`) if one cannot be.
bool write_files(const scenario_computer& c, const std::filesystem::path& root, std::string& error);
// The computer_setup a scenario computer describes, with its files in `data`.
computer_setup setup_for(const scenario_computer& c, const std::filesystem::path& data, std::uint64_t seed);

std::optional<scenario_outcome> run_scenario(const scenario& s, std::FILE* out, std::string& error);

}  // namespace redrund
