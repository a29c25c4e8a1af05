// The Lua libraries of a CC computer: Lua 5.4's, minus what CC leaves out or what would
// reach the host. Allow-listing is data: the tables below.

#include <cmath>
#include <cstring>

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/computer.hpp"

namespace redrund {
namespace {

struct library {
  const char* name;
  lua_CFunction open;
};

constexpr library libraries[] = {
    {LUA_GNAME, luaopen_base},          {LUA_COLIBNAME, luaopen_coroutine},
    {LUA_TABLIBNAME, luaopen_table},    {LUA_STRLIBNAME, luaopen_string},
    {LUA_MATHLIBNAME, luaopen_math},    {LUA_UTF8LIBNAME, luaopen_utf8},
    {LUA_DBLIBNAME, luaopen_debug},
};

struct removal {
  const char* table;  // nullptr: a global
  const char* name;
};

// Host access, bytecode, GC control and the debug functions that reach the registry or
// replace hooks (the timeout hook must stay). bios.lua defines print/dofile/loadfile.
constexpr removal removals[] = {
    {nullptr, "dofile"},    {nullptr, "loadfile"},    {nullptr, "collectgarbage"},
    {nullptr, "print"},     {nullptr, "warn"},        {"debug", "sethook"},
    {"debug", "gethook"},   {"debug", "debug"},       {"debug", "getregistry"},
    {"debug", "setuservalue"}, {"debug", "getuservalue"}, {"debug", "setcstacklimit"},
};

// load() for text chunks only: a binary chunk can crash the VM, so it is refused with CC's
// message. Written here rather than wrapping the stock load, which a program could reach
// through debug.getupvalue.
struct reader_state {
  int function_index;
};

const char* read_from_function(lua_State* L, void* data, std::size_t* size) {
  const auto* state = static_cast<reader_state*>(data);
  luaL_checkstack(L, 2, "too many nested functions");
  lua_pushvalue(L, state->function_index);
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    *size = 0;
    return nullptr;
  }
  if (!lua_isstring(L, -1)) luaL_error(L, "reader function must return a string");
  lua_replace(L, 5);  // keep the piece alive in a reserved slot while Lua reads it
  return lua_tolstring(L, 5, size);
}

int text_only_load(lua_State* L) {
  const int env_index = !lua_isnone(L, 4) ? 4 : 0;
  int status;
  if (lua_type(L, 1) == LUA_TSTRING) {
    std::size_t length = 0;
    const char* text = lua_tolstring(L, 1, &length);
    const char* name = luaL_optstring(L, 2, text);
    status = luaL_loadbufferx(L, text, length, name, "t");
  } else {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    const char* name = luaL_optstring(L, 2, "=(load)");
    lua_settop(L, 5);
    reader_state state{1};
    status = lua_load(L, read_from_function, &state, name, "t");
  }
  if (status != LUA_OK) {
    const char* message = lua_tostring(L, -1);
    lua_pushnil(L);
    if (message && std::strncmp(message, "attempt to load a binary chunk", 30) == 0)
      lua_pushliteral(L, "attempt to load a binary chunk");
    else
      lua_pushvalue(L, -2);
    return 2;
  }
  if (env_index != 0) {
    lua_pushvalue(L, env_index);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  }
  return 1;
}

int refuse_dump(lua_State* L) { return luaL_error(L, "unable to dump given function"); }

// math.randomseed: the argument-less form draws from the computer's seeded stream (stock
// 5.4 uses the time); a non-integral seed is accepted, as CC takes any number.
int seeded_randomseed(lua_State* L) {
  lua_Integer parts[2];
  if (lua_isnone(L, 1)) {
    auto& random = computer_of(L).random();
    parts[0] = static_cast<lua_Integer>(random.next_u64());
    parts[1] = static_cast<lua_Integer>(random.next_u64());
  } else {
    const double seed = luaL_checknumber(L, 1);
    lua_Integer bits = 0;
    if (lua_isinteger(L, 1)) bits = lua_tointeger(L, 1);
    else std::memcpy(&bits, &seed, sizeof bits);
    parts[0] = bits;
    parts[1] = static_cast<lua_Integer>(luaL_optnumber(L, 2, 0));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushinteger(L, parts[0]);
  lua_pushinteger(L, parts[1]);
  lua_call(L, 2, 0);
  return 0;
}

void install_randomseed(lua_State* L) {
  lua_getglobal(L, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  lua_pushcclosure(L, seeded_randomseed, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "randomseed");
  lua_call(L, 0, 0);  // seed from the computer's stream now: math.random is deterministic
  lua_pop(L, 1);
}

}  // namespace

void open_sandboxed_libraries(lua_State* L) {
  for (const library& lib : libraries) {
    luaL_requiref(L, lib.name, lib.open, 1);
    lua_pop(L, 1);
  }
  for (const removal& r : removals) {
    if (r.table == nullptr) {
      lua_pushnil(L);
      lua_setglobal(L, r.name);
      continue;
    }
    lua_getglobal(L, r.table);
    lua_pushnil(L);
    lua_setfield(L, -2, r.name);
    lua_pop(L, 1);
  }
  lua_pushcfunction(L, text_only_load);
  lua_setglobal(L, "load");
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushcfunction(L, refuse_dump);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  install_randomseed(L);
  install_pausable_coroutines(L);
  install_library_guards(L);
}

void open_native_apis(lua_State* L) {
  open_os_api(L);
  open_term_api(L);
  open_fs_api(L);
  open_peripheral_api(L);
  open_redstone_api(L);
  open_http_api(L);
}

}  // namespace redrund
