// Host-started chunks (lua.eval): coroutines beside the top level, part of machine.

#include <algorithm>

#include "computer/computer.hpp"
#include "computer/lua_value.hpp"
#include "computer/machine.hpp"
#include "computer/registry_keys.hpp"
#include "core/assert.hpp"

namespace redrund {
namespace {

struct eval_request {
  std::string_view code;
  const value_list* args;
  std::uint64_t id;
};

// A program's environment: bios's factory when it registered one (globals, require), else a
// table reading through to _G.
void push_program_environment(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &eval_environment_key) == LUA_TFUNCTION) {
    lua_call(L, 0, 1);
    if (lua_istable(L, -1)) return;
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

// Runs protected: compiles the chunk into a new coroutine, with its environment and arguments
// on the coroutine's stack, anchored in the registry. Returns the coroutine.
int create_eval(lua_State* L) {
  const auto* request = static_cast<const eval_request*>(lua_touserdata(L, 1));
  if (luaL_loadbufferx(L, request->code.data(), request->code.size(), "=eval", "t") != LUA_OK)
    return lua_error(L);
  push_program_environment(L);
  if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  const int argument_count = push_values(L, *request->args);
  lua_State* co = lua_newthread(L);
  // A new coroutine has room for few values; the client chooses how many arguments come.
  if (!lua_checkstack(co, argument_count + 1)) return luaL_error(L, "too many arguments");
  lua_insert(L, -(argument_count + 2));  // thread below the function and its arguments
  lua_xmove(L, co, argument_count + 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &eval_threads_key);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, static_cast<lua_Integer>(request->id));
  lua_pop(L, 1);
  return 1;
}

std::string error_text(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TSTRING) return lua_tostring(L, index);
  return std::string("(error object is a ") + luaL_typename(L, index) + " value)";
}

}  // namespace

void machine::start_eval(std::string_view code, const value_list& args, eval_callback done) {
  REDRUND_ASSERT(stage_ == stage::idle);  // the computer holds new evals back while paused
  const std::uint64_t id = next_eval_id_++;
  eval_request request{code, &args, id};
  lua_pushcfunction(state_, create_eval);
  lua_pushlightuserdata(state_, &request);
  if (lua_pcall(state_, 1, 1, 0) != LUA_OK) {
    eval_outcome failed{false, error_text(state_, -1), {}};
    lua_settop(state_, 0);
    done(std::move(failed));
    return;
  }
  lua_State* co = lua_tothread(state_, -1);
  lua_settop(state_, 0);  // anchored in the registry
  evals_.push_back(eval_slot{id, co, false, {}, std::move(done)});
  start_counting();
  if (step_eval(evals_.size() - 1, lua_gettop(co) - 1) == step::paused) {
    stage_ = stage::evals;
    paused_eval_ = id;
    evals_waiting_.clear();
  }
}

machine::step machine::step_eval(std::size_t index, int argument_count, bool continuing) {
  lua_State* co = evals_[index].thread;
  int result_count = 0;
  bool paused = false;
  const int status = resume_thread(co, continuing ? 0 : argument_count, result_count, paused);
  if (hard_abort_) {
    // Whatever the chunk did with the error (an xpcall may have swallowed it), it ends with
    // the abort, and the computer with it.
    finish_eval(index, {false, std::string(timeout_message), {}});
    return step::ended;
  }
  if (paused) return step::paused;
  if (status == LUA_YIELD) {
    eval_slot& slot = evals_[index];
    slot.has_filter = result_count > 0 && lua_type(co, -result_count) == LUA_TSTRING;
    if (slot.has_filter) slot.filter = lua_tostring(co, -result_count);
    lua_pop(co, result_count);
    return step::waiting;
  }
  eval_outcome outcome;
  if (status == LUA_OK) {
    const auto& limits = owner_.limits();
    const int first = lua_gettop(co) - result_count + 1;
    for (int i = first; i <= lua_gettop(co); ++i) {
      value item;
      const copy_result copied =
          copy_from_lua(co, i, outcome.values, item, {limits.value_depth_max, limits.value_bytes_max});
      if (!copied.ok) {
        outcome = eval_outcome{false, copied.error, {}};
        break;
      }
      outcome.values.items.push_back(std::move(item));
    }
  } else {
    outcome = eval_outcome{false, error_text(co, -1), {}};
  }
  finish_eval(index, std::move(outcome));
  return step::ended;
}

std::size_t machine::eval_index(std::uint64_t id) const {
  const auto slot = std::find_if(evals_.begin(), evals_.end(), [id](const eval_slot& s) { return s.id == id; });
  return static_cast<std::size_t>(slot - evals_.begin());
}

void machine::finish_eval(std::size_t index, eval_outcome outcome) {
  const std::uint64_t id = evals_[index].id;
  eval_callback done = std::move(evals_[index].done);
  evals_.erase(evals_.begin() + static_cast<std::ptrdiff_t>(index));
  // Setting an existing key to nil never allocates, so this cannot raise.
  lua_rawgetp(state_, LUA_REGISTRYINDEX, &eval_threads_key);
  lua_pushnil(state_);
  lua_rawseti(state_, -2, static_cast<lua_Integer>(id));
  lua_pop(state_, 1);
  done(std::move(outcome));
}

machine_result machine::resume_waiting_evals(const event& e) {
  while (!evals_waiting_.empty()) {
    const std::uint64_t id = evals_waiting_.front();
    evals_waiting_.erase(evals_waiting_.begin());
    const std::size_t index = eval_index(id);
    if (index == evals_.size()) continue;  // ended since the list was made
    int pushed = 0;
    if (!push_event_onto(evals_[index].thread, e, pushed)) {
      finish_eval(index, {false, "not enough memory", {}});
      continue;
    }
    start_counting();
    if (step_eval(index, pushed) == step::paused) {
      stage_ = stage::evals;
      paused_eval_ = id;
      if (&e != &paused_event_) paused_event_ = e;
      return {machine_result::status::paused, {}};
    }
    if (hard_abort_) break;
  }
  stage_ = stage::idle;
  return {};
}

void machine::cancel_evals(const std::string& reason) {
  evals_waiting_.clear();
  paused_eval_ = 0;
  if (stage_ == stage::evals) stage_ = stage::idle;
  while (!evals_.empty()) {
    eval_callback done = std::move(evals_.front().done);
    evals_.erase(evals_.begin());
    done({false, reason, {}});
  }
}

}  // namespace redrund
