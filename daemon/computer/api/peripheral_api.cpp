// The native peripheral API: thin checks over the computer's peripheral_bus.
// rom/apis/peripheral.lua builds wrap, find and remote names on top.

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/computer.hpp"
#include "computer/lua_value.hpp"
#include "computer/peripheral_bus.hpp"

namespace redrund {

int side_index(std::string_view name) {
  for (int i = 0; i < peripheral_side_count; ++i)
    if (name == peripheral_sides[i]) return i;
  return -1;
}

namespace {

void push_strings(lua_State* L, const std::vector<std::string>& strings) {
  lua_createtable(L, static_cast<int>(strings.size()), 0);
  for (std::size_t i = 0; i < strings.size(); ++i) {
    push_string(L, strings[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
  }
}

// Pushes a list of strings that a C++ call returns, then raises what pushing raised (out of
// memory) once the list is gone.
template <typename Produce>
int push_string_list(lua_State* L, Produce&& produce) {
  int pushed = 0;
  {
    const std::vector<std::string> strings = produce();
    pushed = push_protected(L, [&](lua_State* P) {
      push_strings(P, strings);
      return 1;
    });
  }
  return pushed < 0 ? lua_error(L) : pushed;
}

// Each native below does its C++ work in a scope that ends before anything can raise.
int peripheral_get_names(lua_State* L) {
  peripheral_bus* bus = computer_of(L).peripherals();
  if (bus == nullptr) {
    lua_newtable(L);
    return 1;
  }
  return push_string_list(L, [&] { return bus->names(computer_of(L).id()); });
}

std::vector<std::string> types_of(lua_State* L, std::string_view name) {
  peripheral_bus* bus = computer_of(L).peripherals();
  return bus == nullptr ? std::vector<std::string>{} : bus->types(computer_of(L).id(), name);
}

int peripheral_is_present(lua_State* L) {
  const auto name = check_string(L, 1);
  lua_pushboolean(L, !types_of(L, name).empty());
  return 1;
}

int peripheral_get_type(lua_State* L) {
  const auto name = check_string(L, 1);
  int count = 0;
  {
    const auto types = types_of(L, name);
    count = push_protected(L, [&](lua_State* P) {
      luaL_checkstack(P, static_cast<int>(types.size()) + 1, nullptr);
      for (const auto& type : types) push_string(P, type);
      return static_cast<int>(types.size());
    });
  }
  if (count < 0) return lua_error(L);
  if (count == 0) lua_pushnil(L);
  return count == 0 ? 1 : count;
}

int peripheral_has_type(lua_State* L) {
  const auto name = check_string(L, 1);
  const auto wanted = check_string(L, 2);
  bool present = false, has = false;
  {
    const auto types = types_of(L, name);
    present = !types.empty();
    for (const auto& type : types) has = has || type == wanted;
  }
  if (present) lua_pushboolean(L, has);
  else lua_pushnil(L);
  return 1;
}

int peripheral_get_methods(lua_State* L) {
  const auto name = check_string(L, 1);
  peripheral_bus* bus = computer_of(L).peripherals();
  if (bus == nullptr || types_of(L, name).empty()) {
    lua_pushnil(L);
    return 1;
  }
  return push_string_list(L, [&] { return bus->methods(computer_of(L).id(), name); });
}

// Makes the call and pushes its results (how many), or -1 with an error message on the
// stack. Everything it pushes is pushed protected: its C++ values are alive meanwhile.
int call_peripheral(lua_State* L, std::string_view name, std::string_view method) {
  peripheral_bus* bus = computer_of(L).peripherals();
  if (bus == nullptr) {
    lua_pushliteral(L, "No peripheral attached");
    return -1;
  }
  const auto& limits = computer_of(L).limits();
  value_list arguments;
  const copy_result copied = copy_arguments(L, 3, arguments, {limits.value_depth_max, limits.value_bytes_max});
  if (!copied.ok) {
    // `arguments` is alive: even the message is pushed protected (either way an error is on top).
    push_protected(L, [&](lua_State* P) {
      lua_pushstring(P, copied.error);
      return 1;
    });
    return -1;
  }
  const peripheral_result result = bus->call(computer_of(L).id(), name, method, arguments);
  int pushed = push_protected(L, [&](lua_State* P) {
    if (!result.ok) push_string(P, result.error);
    return result.ok ? push_values(P, result.results) : 1;
  });
  return result.ok || pushed < 0 ? pushed : -1;
}

int peripheral_call(lua_State* L) {
  const auto name = check_string(L, 1);
  const auto method = check_string(L, 2);
  const int pushed = call_peripheral(L, name, method);
  return pushed < 0 ? lua_error(L) : pushed;
}

constexpr native_function peripheral_functions[] = {
    {"getNames", native<peripheral_get_names>},  {"isPresent", native<peripheral_is_present>},
    {"getType", native<peripheral_get_type>},    {"hasType", native<peripheral_has_type>},
    {"getMethods", native<peripheral_get_methods>}, {"call", native<peripheral_call>},
};

}  // namespace

void open_peripheral_api(lua_State* L) { register_global_api(L, "peripheral", peripheral_functions); }

}  // namespace redrund
