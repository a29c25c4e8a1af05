#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "service/rpc_service.hpp"

namespace redrund {

// Computer ids, as `id` and other parameters naming a computer take them: CC's ids are
// non-negative 32-bit integers.
inline constexpr std::int64_t computer_id_max = 0x7fffffff;

// How a JSON parameter becomes an argument of a Lua-backed method's chunk. Every such method
// also takes `id`, its computer (an integer in [0, computer_id_max]), read first.
struct lua_argument {
  // lua_values: a JSON array whose items become separate arguments, after the ones before it
  // (lua.eval's and event.queue's args); only last, after arguments that hold no tables.
  // chunk: a string that is the chunk itself, not an argument (lua.eval's code).
  enum class kind : std::uint8_t { string, integer, number, boolean, lua_value, lua_values, chunk };
  std::string_view field;
  kind type = kind::string;
  bool required = true;
  double min = 0, max = 0;  // integer and number bounds
};

// How the chunk's return values become the JSON result.
enum class lua_result : std::uint8_t { all_values, first_value };

struct method_entry {
  std::string_view name;
  rpc_service::handler run;
  // Lua-backed methods: the chunk, run in the computer as a program would, with the
  // arguments below as `...`.
  std::string_view code;
  std::vector<lua_argument> arguments;
  lua_result result = lua_result::first_value;
};

// Methods on sessions and the world (rpc_methods.cpp).
const std::vector<method_entry>& session_method_list();
// Methods that run a chunk in an attached computer (lua_methods.cpp); proto/methods.json
// describes both lists (tests/unit/service/method_spec_test.cpp checks it against them).
const std::vector<method_entry>& lua_method_list();

// The method of that name, or nullptr.
const method_entry* find_method(std::string_view name);

}  // namespace redrund
