#pragma once

// Command-line checks shared by the subcommands.

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace redrund {

// CLI11's numeric range checks let NaN through (every comparison with NaN is false), and a
// NaN time limit would never be reached.
inline const CLI::Validator finite_number(
    [](std::string& text) -> std::string {
      const double value = std::strtod(text.c_str(), nullptr);
      return std::isfinite(value) ? std::string() : "must be a finite number";
    },
    "FINITE");

}  // namespace redrund
