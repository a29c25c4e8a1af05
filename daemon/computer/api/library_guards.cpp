// Guards around Lua library functions that could crash the process or run without the
// computer's instruction budget. Each keeps the library's results and error messages; only the
// harmful cases change.
//
// - xpcall's message handler runs in a coroutine of its own. Lua calls the handler with debug
//   hooks off when the error was raised by a hook (the timeout is), so a handler that loops
//   would never be stopped; a fresh coroutine has hooks on.
// - __gc metamethods are not run, as in CC: Tweaked (Cobalt has none). Lua runs finalizers with
//   hooks off, so one that loops would freeze every computer.
// - debug cannot reach into C functions or C frames: setting a C closure's upvalue or a C
//   frame's local breaks what the C code relies on (a crash, not an error).
// - Library loops that do not run Lua code (table.move, table.insert, ..., string.rep) are
//   charged to the budget by the work they will do, before they do it.

#include <lua.hpp>

#include <bit>
#include <cstdint>

#include "computer/api/apis.hpp"
#include "computer/lua_context.hpp"
#include "computer/machine.hpp"

namespace redrund {
namespace {

machine& vm_of(lua_State* L) { return *context_of(L).vm; }

// Calls the stock function (upvalue 1) with every argument.
int call_stock(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// ---- xpcall ------------------------------------------------------------------------------

// The handler xpcall hands to Lua: runs the program's handler (upvalue 1) on the error value in
// a new coroutine and returns its first result. Its own error is raised on, as Lua does (Lua
// then calls the handler again, up to its C stack limit: "error in error handling").
int run_message_handler(lua_State* L) {
  lua_State* co = lua_newthread(L);  // anchored on L's stack while it runs
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 2);
  machine& vm = vm_of(L);
  int argument_count = 1;
  while (true) {
    int result_count = 0;
    const int status = lua_resume(co, L, argument_count, &result_count);
    if (status == LUA_YIELD && vm.pause_requested()) {
      vm.refuse_pause();  // nothing between here and the host can yield
      argument_count = 0;
      continue;
    }
    if (status == LUA_OK) {
      if (result_count == 0) {
        lua_pushnil(L);
      } else {
        lua_pop(co, result_count - 1);
        lua_xmove(co, L, 1);
      }
      return 1;
    }
    if (status == LUA_YIELD) {
      lua_pushliteral(L, "attempt to yield across a C-call boundary");
    } else {
      lua_xmove(co, L, 1);
    }
    return lua_error(L);
  }
}

int finish_protected_call(lua_State* L, int status, lua_KContext results_base) {
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(results_base);
}

// xpcall(f, handler, ...): as Lua's, with the handler wrapped by run_message_handler.
int guarded_xpcall(lua_State* L) {
  const int given = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, run_message_handler, 1);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);  // the first result when f returns
  lua_pushvalue(L, 1);
  lua_rotate(L, 3, 2);  // [f, handler, true, f, args...]
  const int status = lua_pcallk(L, given - 2, LUA_MULTRET, 2, 2, finish_protected_call);
  return finish_protected_call(L, status, 2);
}

// ---- setmetatable without finalizers -----------------------------------------------------

// Lua marks an object for finalization when it gets a metatable that has __gc at that moment.
// The stock function (upvalue 1) is called while the metatable's __gc field is cleared, and
// the field is put back afterwards: the program sees its metatable unchanged, and no
// finalizer is ever registered. The field is read and written raw, as Lua looks it up, so the
// metatable's own metamethods never run. Protected, so the field is restored before an error
// goes on.
int set_metatable_without_finalizer(lua_State* L) {
  lua_settop(L, 2);
  const bool table_metatable = lua_type(L, 2) == LUA_TTABLE;
  if (table_metatable) {
    lua_pushliteral(L, "__gc");
    lua_rawget(L, 2);
  }
  if (!table_metatable || lua_isnil(L, 3)) {
    lua_settop(L, 2);
    return call_stock(L);
  }
  // Stack: [object, mt, saved __gc]. Setting an existing field to nil and back never allocates.
  lua_pushliteral(L, "__gc");
  lua_pushnil(L);
  lua_rawset(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  const int status = lua_pcall(L, 2, 1, 0);
  lua_pushliteral(L, "__gc");
  lua_pushvalue(L, 3);
  lua_rawset(L, 2);
  if (status != LUA_OK) return lua_error(L);
  return 1;
}

// ---- debug ---------------------------------------------------------------------------------

// debug.getupvalue / setupvalue / upvalueid (upvalue 1: the stock one): nothing for a C
// function, as if it had no upvalues.
int lua_functions_only(lua_State* L) {
  if (lua_iscfunction(L, 1)) return 0;
  return call_stock(L);
}

// debug.setlocal([thread,] level, n, value): fails (nil) on a C function's frame.
int set_lua_frame_local(lua_State* L) {
  lua_State* target = L;
  int level_arg = 1;
  if (lua_type(L, 1) == LUA_TTHREAD) {
    target = lua_tothread(L, 1);
    level_arg = 2;
  }
  // Level 0 is this function, as it is for the stock one.
  const lua_Integer level = luaL_checkinteger(L, level_arg);
  lua_Debug frame;
  if (level >= 0 && level <= INT32_MAX && lua_getstack(target, static_cast<int>(level), &frame) &&
      lua_getinfo(target, "S", &frame) && frame.what[0] == 'C') {
    luaL_pushfail(L);
    return 1;
  }
  // Called from here, the stock function sits one frame deeper on the caller's stack.
  if (target == L && level < INT32_MAX) {
    lua_pushinteger(L, level + 1);
    lua_replace(L, level_arg);
  }
  return call_stock(L);
}

// ---- library loops charged by their size -------------------------------------------------

// Roughly what one step of a library loop (one element read and written) costs next to one VM
// instruction, and how many copied bytes cost as much.
constexpr std::uint64_t bytes_per_instruction = 16;

std::uint64_t count_between(lua_Integer first, lua_Integer last) {
  if (last < first) return 0;
  return static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first) + 1;
}

// The length the table functions will use: raw for a plain table, else through __len. False
// for anything but a table (the stock function then reports the type). The stock function asks
// __len again: a table with __len sees it called twice, the price of charging before the work.
bool table_length(lua_State* L, lua_Integer& length) {
  if (lua_type(L, 1) != LUA_TTABLE) return false;
  if (lua_getmetatable(L, 1)) {
    lua_pop(L, 1);
    length = luaL_len(L, 1);
  } else {
    length = static_cast<lua_Integer>(lua_rawlen(L, 1));
  }
  return true;
}

bool integer_argument(lua_State* L, int arg, lua_Integer& out) {
  int is_integer = 0;
  out = lua_tointegerx(L, arg, &is_integer);
  return is_integer != 0;
}

int charged_move(lua_State* L) {  // table.move(a1, f, e, t [, a2])
  lua_Integer first = 0, last = 0;
  // Only a range the stock function accepts ("too many elements to move" otherwise).
  if (integer_argument(L, 2, first) && integer_argument(L, 3, last) && (first > 0 || last < LUA_MAXINTEGER + first))
    vm_of(L).charge(L, count_between(first, last));
  return call_stock(L);
}

int charged_insert(lua_State* L) {  // table.insert(t, [pos,] value): elements after pos move
  lua_Integer length = 0, position = 0;
  if (lua_gettop(L) == 3 && table_length(L, length) && integer_argument(L, 2, position) && position >= 1 &&
      position <= length + 1)
    vm_of(L).charge(L, count_between(position, length));
  return call_stock(L);
}

int charged_remove(lua_State* L) {  // table.remove(t [, pos])
  lua_Integer length = 0, position = 0;
  if (lua_gettop(L) >= 2 && table_length(L, length) && integer_argument(L, 2, position) && position >= 1 &&
      position <= length + 1)
    vm_of(L).charge(L, count_between(position, length));
  return call_stock(L);
}

int charged_concat(lua_State* L) {  // table.concat(t [, sep [, i [, j]]])
  lua_Integer length = 0, first = 1, last = 0;
  if (table_length(L, length)) {
    if (!lua_isnoneornil(L, 3) && !integer_argument(L, 3, first)) return call_stock(L);
    last = length;
    if (!lua_isnoneornil(L, 4) && !integer_argument(L, 4, last)) return call_stock(L);
    vm_of(L).charge(L, count_between(first, last));
  }
  return call_stock(L);
}

int charged_sort(lua_State* L) {  // table.sort(t [, comp]): n log n comparisons
  lua_Integer length = 0;
  if (table_length(L, length) && length > 1 && length < INT32_MAX) {  // else "array too big"
    const auto n = static_cast<std::uint64_t>(length);
    const auto log2_n = static_cast<std::uint64_t>(std::bit_width(n));
    vm_of(L).charge(L, n > UINT64_MAX / log2_n ? UINT64_MAX : n * log2_n);
  }
  return call_stock(L);
}

// string.rep(s, n [, sep]): the bytes it writes; nothing to repeat gives "" at once (the stock
// function would loop n times copying nothing).
int charged_rep(lua_State* L) {
  lua_Integer count = 0;
  const bool text_arguments = lua_type(L, 1) == LUA_TSTRING && (lua_isnoneornil(L, 3) || lua_type(L, 3) == LUA_TSTRING);
  if (!text_arguments || !integer_argument(L, 2, count) || count <= 0) return call_stock(L);
  const std::uint64_t piece_bytes = lua_rawlen(L, 1) + (lua_isnoneornil(L, 3) ? 0 : lua_rawlen(L, 3));
  if (piece_bytes == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  const auto repeats = static_cast<std::uint64_t>(count);
  const std::uint64_t bytes = repeats > UINT64_MAX / piece_bytes ? UINT64_MAX : repeats * piece_bytes;
  vm_of(L).charge(L, bytes / bytes_per_instruction);
  return call_stock(L);
}

// Replaces table[name] with `guard`, which gets the stock function as upvalue 1.
// [-0, +0], the table at `table_index`.
void guard_field(lua_State* L, int table_index, const char* name, lua_CFunction guard) {
  table_index = lua_absindex(L, table_index);
  lua_getfield(L, table_index, name);
  lua_pushcclosure(L, guard, 1);
  lua_setfield(L, table_index, name);
}

struct guarded_field {
  const char* table;  // nullptr: a global
  const char* name;
  lua_CFunction guard;
};

constexpr guarded_field guarded_fields[] = {
    {nullptr, "setmetatable", set_metatable_without_finalizer},
    {LUA_DBLIBNAME, "setmetatable", set_metatable_without_finalizer},
    {LUA_DBLIBNAME, "getupvalue", lua_functions_only},
    {LUA_DBLIBNAME, "setupvalue", lua_functions_only},
    {LUA_DBLIBNAME, "upvalueid", lua_functions_only},
    {LUA_DBLIBNAME, "setlocal", set_lua_frame_local},
    {LUA_TABLIBNAME, "move", charged_move},
    {LUA_TABLIBNAME, "insert", charged_insert},
    {LUA_TABLIBNAME, "remove", charged_remove},
    {LUA_TABLIBNAME, "concat", charged_concat},
    {LUA_TABLIBNAME, "sort", charged_sort},
    {LUA_STRLIBNAME, "rep", charged_rep},
};

}  // namespace

void install_library_guards(lua_State* L) {
  lua_pushcfunction(L, guarded_xpcall);
  lua_setglobal(L, "xpcall");
  for (const guarded_field& field : guarded_fields) {
    if (field.table == nullptr) lua_pushglobaltable(L);
    else lua_getglobal(L, field.table);
    guard_field(L, -1, field.name, field.guard);
    lua_pop(L, 1);
  }
}

}  // namespace redrund
