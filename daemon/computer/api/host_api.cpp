// The private host table handed to bios.lua, and the peripheral and redstone natives of a
// computer with nothing attached (the networked world adds modems).

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/computer.hpp"

namespace redrund {
namespace {

int host_program_finished(lua_State* L) {
  computer_of(L).set_program_finished(lua_toboolean(L, 1) != 0);
  return 0;
}

int host_set_error_output(lua_State* L) {
  computer_of(L).set_error_output(lua_toboolean(L, 1) != 0);
  return 0;
}

int host_read_line(lua_State* L) {
  // Copied into Lua before the optional's string is destroyed; nothing raises meanwhile.
  if (auto line = computer_of(L).next_input_line()) push_string(L, *line);
  else lua_pushnil(L);
  return 1;
}

constexpr native_function host_functions[] = {
    {"program_finished", host_program_finished},
    {"set_error_output", host_set_error_output},
    {"read_line", host_read_line},
};

void push_startup(lua_State* L, const startup_program& startup) {
  lua_createtable(L, 0, 2);
  push_string(L, startup.program);
  lua_setfield(L, -2, "program");
  lua_createtable(L, static_cast<int>(startup.args.size()), 0);
  for (std::size_t i = 0; i < startup.args.size(); ++i) {
    push_string(L, startup.args[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
  }
  lua_setfield(L, -2, "args");
}

// peripheral natives with nothing attached.
int peripheral_get_names(lua_State* L) {
  lua_newtable(L);
  return 1;
}

int peripheral_nothing(lua_State* L) {
  check_string(L, 1);
  lua_pushnil(L);
  return 1;
}

int peripheral_is_present(lua_State* L) {
  check_string(L, 1);
  lua_pushboolean(L, 0);
  return 1;
}

int peripheral_call(lua_State* L) {
  check_string(L, 1);
  check_string(L, 2);
  return luaL_error(L, "No peripheral attached");
}

constexpr native_function peripheral_functions[] = {
    {"getNames", peripheral_get_names},  {"isPresent", peripheral_is_present},
    {"getType", peripheral_nothing},     {"hasType", peripheral_nothing},
    {"getMethods", peripheral_nothing},  {"call", peripheral_call},
};

// redstone: sides in CC's order, inputs always off, outputs remembered nowhere.
constexpr const char* sides[] = {"bottom", "top", "back", "front", "right", "left"};

int redstone_get_sides(lua_State* L) {
  lua_createtable(L, 6, 0);
  for (int i = 0; i < 6; ++i) {
    lua_pushstring(L, sides[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

int check_side(lua_State* L, int arg) {
  const auto side = check_string(L, arg);
  for (int i = 0; i < 6; ++i)
    if (side == sides[i]) return i;
  return luaL_error(L, "bad argument #%d (unknown option %s)", arg, lua_tostring(L, arg));
}

int redstone_off(lua_State* L) {
  check_side(L, 1);
  lua_pushboolean(L, 0);
  return 1;
}

int redstone_zero(lua_State* L) {
  check_side(L, 1);
  lua_pushinteger(L, 0);
  return 1;
}

int redstone_set(lua_State* L) {
  check_side(L, 1);
  return 0;
}

constexpr native_function redstone_functions[] = {
    {"getSides", redstone_get_sides},       {"getInput", redstone_off},
    {"getOutput", redstone_off},            {"setOutput", redstone_set},
    {"getAnalogInput", redstone_zero},      {"getAnalogOutput", redstone_zero},
    {"setAnalogOutput", redstone_set},      {"getAnalogueInput", redstone_zero},
    {"getAnalogueOutput", redstone_zero},   {"setAnalogueOutput", redstone_set},
    {"getBundledInput", redstone_zero},     {"getBundledOutput", redstone_zero},
    {"setBundledOutput", redstone_set},     {"testBundledInput", redstone_off},
};

}  // namespace

void open_peripheral_api(lua_State* L) {
  register_global_api(L, "peripheral", peripheral_functions);
  register_global_api(L, "redstone", redstone_functions);
  lua_getglobal(L, "redstone");
  lua_setglobal(L, "rs");
}

void open_host_table(lua_State* L) {
  lua_createtable(L, 0, 4);
  set_functions(L, host_functions);
  if (const auto& startup = computer_of(L).startup()) {
    push_startup(L, *startup);
    lua_setfield(L, -2, "startup");
  }
}

}  // namespace redrund
