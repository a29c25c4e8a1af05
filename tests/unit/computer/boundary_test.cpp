// The Lua/C++ boundary of the bindings (computer/api/binding.hpp): a C++ exception in a native
// becomes a Lua error in that state, and values held by C++ objects are pushed in protected
// mode so a Lua error cannot unwind over the objects.

#include <catch2/catch.hpp>

#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "computer/api/binding.hpp"

namespace {

int throws_runtime_error(lua_State*) { throw std::runtime_error("the host failed"); }
int throws_bad_alloc(lua_State*) { throw std::bad_alloc(); }
int returns_two(lua_State* L) {
  lua_pushinteger(L, 2);
  return 1;
}

// Calls `native` (entered through lua_entry) under pcall; returns "ok:<value>" or the error.
template <lua_CFunction F>
std::string call_through_entry() {
  std::unique_ptr<lua_State, decltype(&lua_close)> L(luaL_newstate(), lua_close);
  lua_pushcfunction(L.get(), redrund::lua_entry<F>);
  const int status = lua_pcall(L.get(), 0, 1, 0);
  const std::string text = lua_tostring(L.get(), -1) ? lua_tostring(L.get(), -1) : "";
  return status == LUA_OK ? "ok:" + text : text;
}

struct counted {
  int* alive;
  explicit counted(int* counter) : alive(counter) { ++*alive; }
  ~counted() { --*alive; }
};

}  // namespace

TEST_CASE("a C++ exception in a native becomes a Lua error", "[boundary]") {
  CHECK(call_through_entry<returns_two>() == "ok:2");
  CHECK(call_through_entry<throws_runtime_error>() == "the host failed");
  CHECK(call_through_entry<throws_bad_alloc>() == "not enough memory");
}

TEST_CASE("a Lua error while pushing returns to the C++ caller, whose objects are destroyed", "[boundary]") {
  std::unique_ptr<lua_State, decltype(&lua_close)> L(luaL_newstate(), lua_close);
  int alive = 0;
  int pushed = 0;
  {
    const counted held(&alive);
    pushed = redrund::push_protected(L.get(), [&](lua_State* P) -> int {
      lua_pushliteral(P, "partial");
      return luaL_error(P, "cannot push");
    });
    CHECK(alive == 1);
  }
  CHECK(alive == 0);
  REQUIRE(pushed == -1);
  CHECK(std::string(lua_tostring(L.get(), -1)) == "cannot push");
  lua_settop(L.get(), 0);
  pushed = redrund::push_protected(L.get(), [](lua_State* P) {
    lua_pushinteger(P, 1);
    lua_pushinteger(P, 2);
    return 2;
  });
  CHECK(pushed == 2);
  CHECK(lua_gettop(L.get()) == 2);
}
