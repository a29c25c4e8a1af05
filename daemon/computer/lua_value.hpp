#pragma once

// Copying Lua values in and out of a computer's state: the one place values cross between
// computers (events, modem messages), always as copies. Binding-side code (includes Lua).

#include <lua.hpp>

#include <cstddef>

#include "computer/value.hpp"

namespace redrund {

struct value_limits {
  std::size_t depth_max = 256;
  std::size_t bytes_max = 16 * 1024 * 1024;
};

struct copy_result {
  bool ok = true;
  const char* error = nullptr;  // static message when !ok
};

// Copies the value at `index` into `out` (tables into out.tables) with CC's rules: tables are
// walked raw (metatables ignored, not copied), functions/userdata/threads become nil and
// entries with a nil key or value are left out; the same table reached twice within this one
// value becomes the same copied table. Never raises.
copy_result copy_from_lua(lua_State* L, int index, value_list& out, value& result,
                          const value_limits& limits);

// Copies arguments [first, top] of the stack into out.items, each with its own identity map.
copy_result copy_arguments(lua_State* L, int first, value_list& out, const value_limits& limits);

// Pushes all of list.items (fresh tables, shared sub-tables and cycles kept). Allocates, so
// it must run in protected mode. Returns the number of values pushed. [-0, +n]
int push_values(lua_State* L, const value_list& list);

// Pushes one value of `list`. [-0, +1]
void push_value(lua_State* L, const value_list& list, const value& v);

}  // namespace redrund
