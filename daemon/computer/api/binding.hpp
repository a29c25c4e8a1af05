#pragma once

// Helpers shared by the thin Lua binding files in computer/api/. Only binding files and
// lua_runtime include Lua headers; everything they call is Lua-free C++.
//
// The Lua/C++ boundary (the rule, for every native function):
// - Lua errors longjmp (Lua is compiled as C; built as C++ every coroutine yield would throw,
//   30-45x slower), so a binding must not raise while an object with a destructor is alive in
//   its frame. Check arguments first, do the C++ work in a scope (or a helper) that ends before
//   anything is pushed or raised, then push or raise.
// - A C++ exception must never unwind through Lua's C frames. Every native runs behind
//   lua_entry<F>: a table entry is written native<F> (nothing else compiles there), a native
//   pushed by hand (a closure with upvalues) is pushed as lua_entry<F>. An exception that
//   escapes becomes a Lua error in that computer ("not enough memory" for bad_alloc), raised
//   after the exception object is gone.

#include <lua.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

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

// Called in a catch block: keeps the current exception's message (thread-local) for
// raise_native_failure.
void describe_current_exception() noexcept;
// Raises the kept message as a Lua error ("not enough memory" for bad_alloc). Never returns.
int raise_native_failure(lua_State* L);

// A native with the exception boundary built in: a C++ exception becomes a Lua error, raised
// after the exception object is gone. Costs nothing while nothing is thrown.
template <lua_CFunction F>
int lua_entry(lua_State* L) {
  try {
    return F(L);
  } catch (...) {
    describe_current_exception();
  }
  return raise_native_failure(L);
}

// A table entry's function: only `native<F>` makes one, so a native in a table cannot skip
// the boundary (a plain function pointer does not compile there).
struct native_entry {
  lua_CFunction function;
};
template <lua_CFunction F>
inline constexpr native_entry native{&lua_entry<F>};

// Runs push(L) in protected mode, for pushing values that C++ objects of the caller's frame
// still hold: a Lua error while pushing (out of memory, no stack) comes back here instead of
// unwinding over those objects. Returns how many values push left on the stack, or -1 with the
// error on the stack: the caller ends its objects' scope, then raises it with lua_error.
template <typename Push>
int push_protected(lua_State* L, Push&& push) {
  struct erased_push {
    std::remove_reference_t<Push>* push;
    static int run(lua_State* P) {
      auto* self = static_cast<erased_push*>(lua_touserdata(P, 1));
      lua_remove(P, 1);
      return (*self->push)(P);
    }
  } erased{&push};
  const int base = lua_gettop(L);
  lua_pushcfunction(L, &erased_push::run);  // light C functions and userdata do not allocate
  lua_pushlightuserdata(L, &erased);
  if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK) return -1;
  return lua_gettop(L) - base;
}

// Sets t[name] = fn for the table at the top of the stack. [-0, +0]
struct native_function {
  const char* name;
  native_entry entry;
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
