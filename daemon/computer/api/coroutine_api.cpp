// coroutine.resume and coroutine.wrap that pass a preemption pause on to the host.
//
// With preemption on (computer_limits::slice_instructions), the timeout hook pauses a long
// run by yielding the running coroutine. That yield reaches whoever resumed it: the host for
// the top level and lua.eval threads, or the coroutine.resume / wrap a program called. These
// replacements see that the child was paused (not a yield of the program's own), pause
// their own coroutine in turn, and when the host continues the run, resume the child again:
// the program never sees the pause. Where their caller cannot yield (a table.sort
// comparator, a gsub callback), they resume the child straight away instead.
// Everything else behaves as Lua 5.4's own functions (results, errors, wrap's position info).

#include <lua.hpp>

#include "computer/api/apis.hpp"
#include "computer/lua_context.hpp"
#include "computer/machine.hpp"

namespace redrund {
namespace {

enum resume_mode : lua_KContext { as_resume = 0, as_wrap = 1 };

// Error results of a failed resume in the caller's style: false + message for resume; for
// wrap the error propagates, with position information as Lua's wrap adds it.
int fail(lua_State* L, lua_State* co, resume_mode mode) {
  if (mode == as_resume) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  int status = lua_status(co);
  if (status != LUA_OK && status != LUA_YIELD) {  // the error came from inside the coroutine
#if LUA_VERSION_RELEASE_NUM >= 50406
    status = lua_closethread(co, L);
#else
    status = lua_resetthread(co);
#endif
    lua_xmove(co, L, 1);
  }
  if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

// Moves what the child returned or yielded to the caller.
int succeed(lua_State* L, lua_State* co, int result_count, resume_mode mode) {
  if (!lua_checkstack(L, result_count + 1)) {
    lua_pop(co, result_count);
    lua_pushliteral(L, "too many results to resume");
    return fail(L, co, mode);
  }
  lua_xmove(co, L, result_count);
  if (mode == as_wrap) return result_count;
  lua_pushboolean(L, 1);
  lua_insert(L, -(result_count + 1));
  return result_count + 1;
}

int continue_after_pause(lua_State* L, int status, lua_KContext mode);

// Resumes `co` with the `argument_count` values on top of L's stack.
int resume_child(lua_State* L, lua_State* co, int argument_count, resume_mode mode) {
  if (!lua_checkstack(co, argument_count)) {
    lua_pushliteral(L, "too many arguments to resume");
    return fail(L, co, mode);
  }
  lua_xmove(L, co, argument_count);
  machine& vm = *context_of(L).vm;
  while (true) {
    int result_count = 0;
    const int status = lua_resume(co, L, argument_count, &result_count);
    if (status == LUA_YIELD && vm.pause_requested()) {
      // The stack holds only what this call keeps across the pause (the coroutine for
      // resume, nothing for wrap): exactly what the continuation expects to find.
      if (lua_isyieldable(L)) return lua_yieldk(L, 0, mode, continue_after_pause);
      vm.refuse_pause();
      argument_count = 0;
      continue;
    }
    if (status == LUA_OK || status == LUA_YIELD) return succeed(L, co, result_count, mode);
    lua_xmove(co, L, 1);
    return fail(L, co, mode);
  }
}

lua_State* wrapped_coroutine(lua_State* L) { return lua_tothread(L, lua_upvalueindex(1)); }

// The host continued the paused run: resume the paused child where it stopped.
int continue_after_pause(lua_State* L, int, lua_KContext mode) {
  const auto how = static_cast<resume_mode>(mode);
  lua_State* co = how == as_wrap ? wrapped_coroutine(L) : lua_tothread(L, 1);
  return resume_child(L, co, 0, how);
}

int coroutine_resume(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "thread");
  return resume_child(L, co, lua_gettop(L) - 1, as_resume);
}

int wrapped_resume(lua_State* L) { return resume_child(L, wrapped_coroutine(L), lua_gettop(L), as_wrap); }

int coroutine_wrap(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State* co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, wrapped_resume, 1);
  return 1;
}

}  // namespace

void install_pausable_coroutines(lua_State* L) {
  lua_getglobal(L, LUA_COLIBNAME);
  lua_pushcfunction(L, coroutine_resume);
  lua_setfield(L, -2, "resume");
  lua_pushcfunction(L, coroutine_wrap);
  lua_setfield(L, -2, "wrap");
  lua_pop(L, 1);
}

}  // namespace redrund
