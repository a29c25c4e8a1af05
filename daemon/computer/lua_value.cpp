#include "computer/lua_value.hpp"

#include <cmath>
#include <unordered_map>

namespace redrund {
namespace {

// Per-value copying state: the identity map keeps shared sub-tables and cycles.
struct copier {
  lua_State* L;
  value_list& out;
  const value_limits& limits;
  std::unordered_map<const void*, std::uint32_t> seen;
  std::size_t bytes = 0;
  const char* error = nullptr;

  bool charge(std::size_t n) {
    bytes += n;
    if (bytes > limits.bytes_max) error = "value too large";
    return error == nullptr;
  }

  // Copies the value at absolute stack index `index`. False on a limit error.
  bool copy(int index, value& result, std::size_t depth) {
    switch (lua_type(L, index)) {
      case LUA_TBOOLEAN: result = value::of_boolean(lua_toboolean(L, index) != 0); return charge(8);
      case LUA_TNUMBER: result = value::of_number(lua_tonumber(L, index)); return charge(8);
      case LUA_TSTRING: {
        std::size_t length = 0;
        const char* text = lua_tolstring(L, index, &length);
        if (!charge(length + 8)) return false;
        result = value::of_string(std::string(text, length));
        return true;
      }
      case LUA_TTABLE: return copy_table(index, result, depth);
      default: result = value{}; return true;  // nil, functions, userdata, threads
    }
  }

  bool copy_table(int index, value& result, std::size_t depth) {
    const void* identity = lua_topointer(L, index);
    result.type = value::kind::table;
    if (const auto found = seen.find(identity); found != seen.end()) {
      result.table = found->second;
      return true;
    }
    if (depth >= limits.depth_max) {
      error = "value too deeply nested";
      return false;
    }
    if (!lua_checkstack(L, 3)) {
      error = "value too deeply nested";
      return false;
    }
    const auto table_index = static_cast<std::uint32_t>(out.tables.size());
    out.tables.emplace_back();
    seen.emplace(identity, table_index);
    result.table = table_index;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
      const int top = lua_gettop(L);
      value key, item;
      if (!copy(top - 1, key, depth + 1) || !copy(top, item, depth + 1)) {
        lua_pop(L, 2);
        return false;
      }
      lua_pop(L, 1);
      if (key.type == value::kind::nil || item.type == value::kind::nil) continue;
      if (!charge(16)) {
        lua_pop(L, 1);
        return false;
      }
      // out.tables may have grown (reallocated) during the recursive copies: index again.
      out.tables[table_index].entries.emplace_back(std::move(key), std::move(item));
    }
    return true;
  }
};

// Pushing: one Lua table per copied table, created on first use, cached in a scratch table.
struct pusher {
  lua_State* L;
  const value_list& list;
  int cache;  // absolute index of the cache table (copied-table index + 1 -> Lua table)

  void push(const value& v) {
    switch (v.type) {
      case value::kind::nil: lua_pushnil(L); return;
      case value::kind::boolean: lua_pushboolean(L, v.boolean); return;
      case value::kind::number: push_number(v.number); return;
      case value::kind::string: lua_pushlstring(L, v.text.data(), v.text.size()); return;
      case value::kind::table: push_table(v.table); return;
    }
  }

  // Integral numbers come back as Lua integers, as Cobalt keeps integral doubles as ints.
  void push_number(double n) {
    if (n == std::floor(n) && std::fabs(n) < 9.2e18) lua_pushinteger(L, static_cast<lua_Integer>(n));
    else lua_pushnumber(L, n);
  }

  void push_table(std::uint32_t index) {
    if (lua_rawgeti(L, cache, static_cast<lua_Integer>(index) + 1) != LUA_TNIL) return;
    lua_pop(L, 1);
    const value_table& source = list.tables[index];
    luaL_checkstack(L, 4, "value too deeply nested");
    lua_createtable(L, 0, static_cast<int>(source.entries.size()));
    lua_pushvalue(L, -1);
    lua_rawseti(L, cache, static_cast<lua_Integer>(index) + 1);
    for (const auto& [key, item] : source.entries) {
      push(key);
      push(item);
      lua_rawset(L, -3);
    }
  }
};

}  // namespace

copy_result copy_from_lua(lua_State* L, int index, value_list& out, value& result,
                          const value_limits& limits) {
  copier c{L, out, limits, {}, 0, nullptr};
  if (!c.copy(lua_absindex(L, index), result, 0)) return {false, c.error};
  return {};
}

copy_result copy_arguments(lua_State* L, int first, value_list& out, const value_limits& limits) {
  const int top = lua_gettop(L);
  for (int i = first; i <= top; ++i) {
    out.items.emplace_back();
    value item;
    const copy_result r = copy_from_lua(L, i, out, item, limits);
    if (!r.ok) return r;
    out.items.back() = std::move(item);
  }
  return {};
}

int push_values(lua_State* L, const value_list& list) {
  luaL_checkstack(L, static_cast<int>(list.items.size()) + 8, "too many values");
  if (list.tables.empty()) {
    // No tables, no identity map needed: the common case for timers and most events.
    for (const value& v : list.items) pusher{L, list, 0}.push(v);
    return static_cast<int>(list.items.size());
  }
  lua_createtable(L, static_cast<int>(list.tables.size()), 0);
  const int cache = lua_gettop(L);
  pusher p{L, list, cache};
  for (const value& v : list.items) p.push(v);
  lua_remove(L, cache);
  return static_cast<int>(list.items.size());
}

void push_value(lua_State* L, const value_list& list, const value& v) {
  lua_newtable(L);
  const int cache = lua_gettop(L);
  pusher p{L, list, cache};
  p.push(v);
  lua_remove(L, cache);
}

}  // namespace redrund
