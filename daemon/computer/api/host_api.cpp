// The private host table handed to bios.lua, and the redstone natives (no redstone is
// simulated: inputs are off).

#include <algorithm>
#include <iterator>
#include <string_view>

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/computer.hpp"
#include "computer/peripheral_bus.hpp"
#include "computer/registry_keys.hpp"
#include "computer/rom.hpp"

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
  int pushed = 0;
  {
    const auto line = computer_of(L).next_input_line();
    pushed = push_protected(L, [&](lua_State* P) {
      if (line) push_string(P, *line);
      else lua_pushnil(P);
      return 1;
    });
  }
  return pushed < 0 ? lua_error(L) : pushed;
}

// Loads a ROM file from its precompiled bytecode (only files under rom/, only the embedded
// ones), with `env` as its _ENV; nil when the path is not an embedded ROM Lua file, so bios
// falls back to reading the text.
int host_load_rom(lua_State* L) {
  const auto path = check_string(L, 1);
  const rom_lookup rom = find_rom_file(path);
  if (!rom.found || rom.bytecode.empty() || path.substr(0, 4) != "rom/") {
    lua_pushnil(L);
    return 1;
  }
  if (luaL_loadbufferx(L, rom.bytecode.data(), rom.bytecode.size(), "=rom", "b") != LUA_OK) return lua_error(L);
  if (!lua_isnoneornil(L, 2)) {
    lua_pushvalue(L, 2);
    if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  }
  return 1;
}

// RedRun reports a task that starts running, and how a task ended: task_ended(id, name, status,
// error, key). Its arguments come
// from the computer's Lua, so they are checked and bounded like any other input.
constexpr std::size_t task_text_bytes_max = 1024;

int host_task_ended(lua_State* L) {
  static constexpr std::string_view statuses[] = {"running", "finished", "errored", "killed", "terminated",
                                                  "restarting"};
  // Every check (which may raise) comes before the report exists.
  const double id = check_number(L, 1);
  const auto name = opt_string(L, 2);
  const std::string_view status = check_string(L, 3);
  if (std::find(std::begin(statuses), std::end(statuses), status) == std::end(statuses))
    return luaL_error(L, "bad argument #3 (expected running, finished, errored, killed, terminated or restarting)");
  const auto error = opt_string(L, 4);
  const auto key = opt_number(L, 5);
  {
    task_report report;
    report.id = id;
    report.status = std::string(status);
    if (name) report.name = std::string(name->substr(0, task_text_bytes_max));
    if (error) report.error = std::string(error->substr(0, task_text_bytes_max));
    if (key && *key >= 1 && *key <= 0xffffffff) report.key = static_cast<std::uint32_t>(*key);
    computer_of(L).report_task(report);
  }
  return 0;
}

// bios registers the factory of program environments used for host-started chunks.
int host_set_eval_environment(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &eval_environment_key);
  return 0;
}

constexpr native_function host_functions[] = {
    {"load_rom", native<host_load_rom>},
    {"set_eval_environment", native<host_set_eval_environment>},
    {"program_finished", native<host_program_finished>},
    {"set_error_output", native<host_set_error_output>},
    {"read_line", native<host_read_line>},
    {"task_ended", native<host_task_ended>},
};

void push_startup(lua_State* L, const startup_program& startup) {
  lua_createtable(L, 0, 3);
  if (!startup.command.empty()) {
    push_string(L, startup.command);
    lua_setfield(L, -2, "command");
  }
  push_string(L, startup.program);
  lua_setfield(L, -2, "program");
  lua_createtable(L, static_cast<int>(startup.args.size()), 0);
  for (std::size_t i = 0; i < startup.args.size(); ++i) {
    push_string(L, startup.args[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
  }
  lua_setfield(L, -2, "args");
}

// redstone: sides in CC's order, inputs always off, outputs remembered nowhere.

int redstone_get_sides(lua_State* L) {
  lua_createtable(L, 6, 0);
  for (int i = 0; i < 6; ++i) {
    lua_pushstring(L, peripheral_sides[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

int check_side(lua_State* L, int arg) {
  const int side = side_index(check_string(L, arg));
  if (side >= 0) return side;
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
    {"getSides", native<redstone_get_sides>},       {"getInput", native<redstone_off>},
    {"getOutput", native<redstone_off>},            {"setOutput", native<redstone_set>},
    {"getAnalogInput", native<redstone_zero>},      {"getAnalogOutput", native<redstone_zero>},
    {"setAnalogOutput", native<redstone_set>},      {"getAnalogueInput", native<redstone_zero>},
    {"getAnalogueOutput", native<redstone_zero>},   {"setAnalogueOutput", native<redstone_set>},
    {"getBundledInput", native<redstone_zero>},     {"getBundledOutput", native<redstone_zero>},
    {"setBundledOutput", native<redstone_set>},     {"testBundledInput", native<redstone_off>},
};

}  // namespace

void open_redstone_api(lua_State* L) {
  register_global_api(L, "redstone", redstone_functions);
  lua_getglobal(L, "redstone");
  lua_setglobal(L, "rs");
}

namespace {

void push_tasks(lua_State* L, const std::vector<boot_task>& tasks) {
  lua_createtable(L, static_cast<int>(tasks.size()), 0);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    lua_createtable(L, 0, 4);
    push_string(L, tasks[i].name);
    lua_setfield(L, -2, "name");
    push_string(L, tasks[i].command);
    lua_setfield(L, -2, "command");
    push_string(L, tasks[i].restart);
    lua_setfield(L, -2, "restart");
    if (tasks[i].key != 0) {
      lua_pushinteger(L, tasks[i].key);
      lua_setfield(L, -2, "key");
    }
    lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
  }
}

}  // namespace

void open_host_table(lua_State* L) {
  lua_createtable(L, 0, 5);
  set_functions(L, host_functions);
  if (const auto& startup = computer_of(L).startup()) {
    push_startup(L, *startup);
    lua_setfield(L, -2, "startup");
  }
  push_tasks(L, computer_of(L).boot_tasks());
  lua_setfield(L, -2, "tasks");
}

}  // namespace redrund
