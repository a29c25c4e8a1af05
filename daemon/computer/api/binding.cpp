#include "computer/api/binding.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "computer/lua_context.hpp"

namespace redrund {

computer& computer_of(lua_State* L) { return *context_of(L).owner; }

const char* cc_type_name(lua_State* L, int index) {
  if (lua_isnoneornil(L, index)) return "nil";
  return luaL_typename(L, index);
}

void raise_bad_argument(lua_State* L, int arg, const char* expected) {
  const char* actual = cc_type_name(L, arg);
  if (lua_type(L, arg) == LUA_TNUMBER) {
    const double value = lua_tonumber(L, arg);
    if (std::isnan(value)) actual = "nan";
    else if (std::isinf(value)) actual = value > 0 ? "inf" : "-inf";
  }
  lua_pushfstring(L, "bad argument #%d (%s expected, got %s)", arg, expected, actual);
  lua_error(L);
  __builtin_unreachable();
}

void raise_error(lua_State* L, std::string_view message) {
  lua_pushlstring(L, message.data(), message.size());
  lua_error(L);
  __builtin_unreachable();
}

double check_number(lua_State* L, int arg) {
  if (lua_type(L, arg) != LUA_TNUMBER) raise_bad_argument(L, arg, "number");
  const double value = lua_tonumber(L, arg);
  if (!std::isfinite(value)) raise_bad_argument(L, arg, "number");
  return value;
}

std::optional<double> opt_number(lua_State* L, int arg) {
  if (lua_isnoneornil(L, arg)) return std::nullopt;
  return check_number(L, arg);
}

std::int64_t check_integer(lua_State* L, int arg) {
  if (lua_isinteger(L, arg)) return lua_tointeger(L, arg);
  const double value = check_number(L, arg);
  if (value >= 9.2e18 || value <= -9.2e18) raise_bad_argument(L, arg, "number");
  return static_cast<std::int64_t>(value);  // truncation toward zero, as CC
}

std::string_view check_string(lua_State* L, int arg) {
  if (lua_type(L, arg) != LUA_TSTRING) raise_bad_argument(L, arg, "string");
  std::size_t length = 0;
  const char* text = lua_tolstring(L, arg, &length);
  return {text, length};
}

std::optional<std::string_view> opt_string(lua_State* L, int arg) {
  if (lua_isnoneornil(L, arg)) return std::nullopt;
  return check_string(L, arg);
}

bool check_boolean(lua_State* L, int arg) {
  if (lua_type(L, arg) != LUA_TBOOLEAN) raise_bad_argument(L, arg, "boolean");
  return lua_toboolean(L, arg) != 0;
}

std::optional<bool> opt_boolean(lua_State* L, int arg) {
  if (lua_isnoneornil(L, arg)) return std::nullopt;
  return check_boolean(L, arg);
}

namespace {

thread_local char native_failure[256];

}  // namespace

void describe_current_exception() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    std::snprintf(native_failure, sizeof native_failure, "not enough memory");
  } catch (const std::exception& e) {
    std::snprintf(native_failure, sizeof native_failure, "%s", e.what());
  } catch (...) {
    std::snprintf(native_failure, sizeof native_failure, "internal error");
  }
}

int raise_native_failure(lua_State* L) {
  lua_pushstring(L, native_failure);
  return lua_error(L);
}

void set_functions(lua_State* L, const native_function* functions, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    lua_pushcfunction(L, functions[i].entry.function);
    lua_setfield(L, -2, functions[i].name);
  }
}

}  // namespace redrund
