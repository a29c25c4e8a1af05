#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "computer/value.hpp"

namespace redrund {

// CC's peripheral sides, in CC's order (ComputerSide: bottom, top, back, front, right, left).
inline constexpr const char* peripheral_sides[] = {"bottom", "top", "back", "front", "right", "left"};
inline constexpr int peripheral_side_count = 6;
// Index of a side name, or -1.
int side_index(std::string_view name);

// The outcome of a peripheral method call: results, or an error message raised in Lua.
struct peripheral_result {
  bool ok = true;
  std::string error;
  value_list results;

  static peripheral_result failure(std::string message) {
    peripheral_result r;
    r.ok = false;
    r.error = std::move(message);
    return r;
  }
};

// What a computer's `peripheral` natives reach: the peripherals attached to it. Implemented by
// the world (modems, wired networks); Lua-free. Arguments and results are copies made with
// CC's marshalling rules, so a peripheral never sees another computer's Lua values.
class peripheral_bus {
 public:
  virtual ~peripheral_bus() = default;
  // Names of the peripherals attached directly to the computer, in side order.
  virtual std::vector<std::string> names(std::uint32_t computer) const = 0;
  // All types of the named peripheral (first is the main type); empty when absent.
  virtual std::vector<std::string> types(std::uint32_t computer, std::string_view name) const = 0;
  virtual std::vector<std::string> methods(std::uint32_t computer, std::string_view name) const = 0;
  virtual peripheral_result call(std::uint32_t computer, std::string_view name, std::string_view method,
                                 const value_list& arguments) = 0;
};

}  // namespace redrund
