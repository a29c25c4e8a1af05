#pragma once

// Helpers shared by the thin Lua binding files in computer/api/. Only binding files and
// lua_runtime include Lua headers; everything they call is Lua-free C++.
//
// Error discipline: Lua errors longjmp (Lua is compiled as C), so a binding must not raise
// while an object with a destructor is alive in its frame. Check arguments first, do the
// work in a helper that returns a result, destroy locals, then raise.

#include <lua.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace redrund {

class computer;

// The computer that owns this Lua state (stored in the state's extra space).
computer& computer_of(lua_State* L);

// CC's type names for error messages ("nil", "number", "string", "table", ...).
const char* cc_type_name(lua_State* L, int index);

// Raises "bad argument #arg (expected expected, got <type>)". Never returns.
[[noreturn]] void raise_bad_argument(lua_State* L, int arg, const char* expected);
// Raises a plain error message without position information, as CC's Java APIs do.
[[noreturn]] void raise_error(lua_State* L, std::string_view message);

// Argument checks with CC's messages. Numbers are not coerced from strings and must be
// finite ("number expected, got nan"), as CC's IArguments.getDouble.
double check_number(lua_State* L, int arg);
std::optional<double> opt_number(lua_State* L, int arg);
// Like check_number, truncated toward zero as CC's getInt/getLong do.
std::int64_t check_integer(lua_State* L, int arg);
std::string_view check_string(lua_State* L, int arg);
std::optional<std::string_view> opt_string(lua_State* L, int arg);
bool check_boolean(lua_State* L, int arg);
std::optional<bool> opt_boolean(lua_State* L, int arg);

// Pushes a byte string.
inline void push_string(lua_State* L, std::string_view text) {
  lua_pushlstring(L, text.data(), text.size());
}

// Sets t[name] = fn for the table at the top of the stack. [-0, +0]
struct native_function {
  const char* name;
  lua_CFunction function;
};
void set_functions(lua_State* L, const native_function* functions, std::size_t count);

template <std::size_t N>
void set_functions(lua_State* L, const native_function (&functions)[N]) {
  set_functions(L, functions, N);
}

// Creates a global table holding the functions. [-0, +0]
template <std::size_t N>
void register_global_api(lua_State* L, const char* name, const native_function (&functions)[N]) {
  lua_createtable(L, 0, static_cast<int>(N));
  set_functions(L, functions, N);
  lua_setglobal(L, name);
}

}  // namespace redrund
