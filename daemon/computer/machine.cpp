#include "computer/machine.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "computer/api/apis.hpp"
#include "computer/computer.hpp"
#include "computer/lua_value.hpp"
#include "computer/registry_keys.hpp"
#include "core/assert.hpp"

namespace redrund {

char eval_threads_key;
char eval_environment_key;

namespace {

// Registry keys are addresses of static chars, so they cannot clash with anything Lua does.
char main_coroutine_key;
char host_table_key;

void* lua_allocate(void* user, void* block, std::size_t old_bytes, std::size_t new_bytes) {
  // When block is null, old_bytes encodes the object type, not a size.
  return static_cast<machine*>(user)->reallocate(block, block ? old_bytes : 0, new_bytes);
}

void count_hook(lua_State* L, lua_Debug*) {
  // A hook may yield only as its very last action, and only with no values.
  if (context_of(L).vm->on_count_hook(L)) lua_yield(L, 0);
}

int on_panic(lua_State* L) {
  // Every call into Lua from the host is protected; reaching here is a host bug.
  const char* message = lua_tostring(L, -1);
  std::fprintf(stderr, "redrund: unprotected Lua error: %s\n", message ? message : "?");
  std::abort();
}

struct boot_request {
  std::string_view bios;
  std::string chunk_name;
  bool binary;  // the ROM's precompiled bytecode (trusted; programs can only load text)
};

// Runs protected: builds the globals, the host table and the top-level coroutine.
int setup_state(lua_State* L) {
  const auto* request = static_cast<const boot_request*>(lua_touserdata(L, 1));
  open_sandboxed_libraries(L);
  open_native_apis(L);
  open_host_table(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &host_table_key);
  const char* mode = request->binary ? "b" : "t";
  if (luaL_loadbufferx(L, request->bios.data(), request->bios.size(), request->chunk_name.c_str(), mode) != LUA_OK)
    return lua_error(L);
  lua_State* co = lua_newthread(L);
  lua_pushvalue(L, -2);
  lua_xmove(L, co, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &main_coroutine_key);
  lua_newtable(L);  // eval coroutines by id, anchored here while they run
  lua_rawsetp(L, LUA_REGISTRYINDEX, &eval_threads_key);
  return 0;
}

// Runs protected: pushes an event's name and arguments (allocation may fail).
int push_event(lua_State* L) {
  const auto* e = static_cast<const event*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_pushlstring(L, e->name.data(), e->name.size());
  const int count = 1 + push_values(L, e->args);
  replace_event_handles(L, *e);
  return count;
}

// What a hard abort ends a run with: the computer is shut down, as CC's hard abort does.
machine_result too_long_without_yielding() {
  return {machine_result::status::aborted, std::string(timeout_message)};
}

// A traceback built without allocating in Lua: used when the VM may be out of memory.
std::string describe_failure(lua_State* co) {
  std::string message;
  if (lua_type(co, -1) == LUA_TSTRING) message = lua_tostring(co, -1);
  else message = std::string("(error object is a ") + luaL_typename(co, -1) + " value)";
  message += "\nstack traceback:";
  lua_Debug frame;
  for (int level = 0; level < 32 && lua_getstack(co, level, &frame); ++level) {
    if (!lua_getinfo(co, "Sl", &frame)) break;
    message += "\n\t";
    message += frame.short_src;
    if (frame.currentline > 0) message += ":" + std::to_string(frame.currentline);
  }
  return message;
}

}  // namespace

machine::machine(computer& owner, const computer_limits& limits)
    : owner_(owner), limits_(limits), context_{&owner, this} {}

machine::~machine() {
  if (state_ == nullptr) return;
  lua_sethook(state_, nullptr, 0, 0);
  lua_close(state_);
}

void* machine::reallocate(void* block, std::size_t old_bytes, std::size_t new_bytes) {
  if (new_bytes == 0) {
    std::free(block);
    memory_bytes_ -= old_bytes;
    return nullptr;
  }
  // Only growth can fail: Lua assumes shrinking never does.
  if (new_bytes > old_bytes && memory_bytes_ - old_bytes + new_bytes > limits_.memory_bytes_max) {
    ++owner_.stats().memory_errors;
    return nullptr;
  }
  void* grown = std::realloc(block, new_bytes);
  if (grown == nullptr) return nullptr;
  memory_bytes_ = memory_bytes_ - old_bytes + new_bytes;
  return grown;
}

std::optional<std::string> machine::boot(std::string_view bios, std::string_view chunk_name, bool binary) {
  REDRUND_ASSERT(state_ == nullptr);
  state_ = lua_newstate(lua_allocate, this);
  if (state_ == nullptr) return std::string("not enough memory");
  lua_atpanic(state_, on_panic);
  *static_cast<lua_context**>(lua_getextraspace(state_)) = &context_;
  // Set before anything runs: coroutines copy their creator's hook.
  lua_sethook(state_, count_hook, LUA_MASKCOUNT, limits_.hook_interval_instructions);
  boot_request request{bios, "@" + std::string(chunk_name), binary};
  lua_pushcfunction(state_, setup_state);
  lua_pushlightuserdata(state_, &request);
  if (lua_pcall(state_, 1, 0, 0) != LUA_OK) {
    std::string message = lua_tostring(state_, -1) ? lua_tostring(state_, -1) : "boot failed";
    lua_pop(state_, 1);
    return message;
  }
  lua_rawgetp(state_, LUA_REGISTRYINDEX, &main_coroutine_key);
  main_ = lua_tothread(state_, -1);
  lua_pop(state_, 1);  // the registry keeps it alive
  return std::nullopt;
}

machine_result machine::start() {
  // The bios gets the host table as its only argument; only the bios keeps it.
  lua_rawgetp(main_, LUA_REGISTRYINDEX, &host_table_key);
  lua_pushnil(main_);
  lua_rawsetp(main_, LUA_REGISTRYINDEX, &host_table_key);
  start_counting();
  // Boot is the top level's first run; no event to hand to evals after it (there are none).
  machine_result result = after_top_level(event{}, run(1));
  // Booting compiles the whole ROM; collecting its garbage now keeps idle computers small
  // instead of waiting for the collector's next cycle.
  if (result.outcome == machine_result::status::yielded) lua_gc(state_, LUA_GCCOLLECT);
  return result;
}

bool machine::push_event_onto(lua_State* co, const event& e, int& count) {
  lua_pushcfunction(state_, push_event);
  lua_pushlightuserdata(state_, const_cast<event*>(&e));
  if (lua_pcall(state_, 1, LUA_MULTRET, 0) != LUA_OK) {
    lua_settop(state_, 0);
    return false;
  }
  count = lua_gettop(state_);
  if (!lua_checkstack(co, count + 1)) {
    lua_settop(state_, 0);
    return false;
  }
  lua_xmove(state_, co, count);
  return true;
}

machine_result machine::resume(const event& e) {
  REDRUND_ASSERT(stage_ == stage::idle);
  int count = 0;
  // Not enough memory to even build the event: the computer cannot go on.
  if (!push_event_onto(main_, e, count)) return {machine_result::status::errored, "not enough memory"};
  start_counting();
  machine_result result = after_top_level(e, run(count));
  if (hard_abort_) return too_long_without_yielding();
  return result;
}

machine_result machine::continue_run() {
  REDRUND_ASSERT(stage_ != stage::idle);
  machine_result result;
  if (stage_ == stage::top_level) {
    result = after_top_level(paused_event_, run(0));
  } else {
    const std::size_t index = eval_index(paused_eval_);
    // The paused eval may be gone (cancelled): the others still get the event.
    if (index == evals_.size() || step_eval(index, 0, true) != step::paused) {
      paused_eval_ = 0;
      result = resume_waiting_evals(paused_event_);
    } else {
      result = {machine_result::status::paused, {}};
    }
  }
  if (hard_abort_) return too_long_without_yielding();
  return result;
}

void machine::refuse_pause() {
  pause_requested_ = false;
  slice_used_ = 0;  // a whole new slice before the next try
}

void machine::start_counting() {
  instructions_since_yield_ = 0;
  soft_timeout_raised_ = false;
}

int machine::resume_thread(lua_State* co, int argument_count, int& result_count, bool& paused) {
  slice_used_ = 0;
  result_count = 0;
  const int status = lua_resume(co, state_, argument_count, &result_count);
  paused = status == LUA_YIELD && pause_requested_;
  if (paused) {
    pause_requested_ = false;
    ++owner_.stats().pauses;
  }
  return status;
}

machine_result machine::run(int argument_count) {
  int result_count = 0;
  bool paused = false;
  const int status = resume_thread(main_, argument_count, result_count, paused);
  if (hard_abort_) {
    // Whatever the code did with the error, the computer is shut down (as CC's hard abort).
    return too_long_without_yielding();
  }
  if (paused) return {machine_result::status::paused, {}};
  if (status == LUA_YIELD) {
    has_filter_ = result_count > 0 && lua_type(main_, -result_count) == LUA_TSTRING;
    if (has_filter_) filter_ = lua_tostring(main_, -result_count);
    lua_pop(main_, result_count);
    return {};
  }
  if (status == LUA_OK) return {machine_result::status::finished, {}};
  const auto outcome = hard_abort_ ? machine_result::status::aborted : machine_result::status::errored;
  return {outcome, describe_failure(main_)};
}

machine_result machine::after_top_level(const event& e, machine_result result) {
  if (result.outcome == machine_result::status::paused) {
    stage_ = stage::top_level;
    if (&e != &paused_event_) paused_event_ = e;
    return result;
  }
  stage_ = stage::idle;
  if (result.outcome != machine_result::status::yielded || evals_.empty() || e.name.empty()) return result;
  // Like parallel: in start order, each eval whose filter matches (terminate always does).
  // Evals started while this runs wait for the next event.
  evals_waiting_.clear();
  for (const eval_slot& slot : evals_)
    if (!slot.has_filter || slot.filter == e.name || e.name == "terminate") evals_waiting_.push_back(slot.id);
  return resume_waiting_evals(e);
}

bool machine::accepts(std::string_view event_name) const {
  return !has_filter_ || event_name == filter_ || event_name == "terminate";
}

bool machine::on_count_hook(lua_State* L) {
  const auto interval = static_cast<std::uint64_t>(hard_abort_ ? 1 : limits_.hook_interval_instructions);
  count_instructions(L, interval, true);
  slice_used_ += interval;
  // Pause only where every coroutine up to the host can pass the yield on; elsewhere (inside
  // a C call such as a sort comparator) the run goes on until the next hook.
  if (limits_.slice_instructions > 0 && slice_used_ >= limits_.slice_instructions && !pause_requested_ &&
      lua_isyieldable(L)) {
    pause_requested_ = true;
    return true;
  }
  return false;
}

void machine::charge(lua_State* L, std::uint64_t instructions) {
  // Work that would take the run past its soft limit is refused before it is done, so only the
  // budget up to the limit counts as spent: the program may catch the error and go on, with the
  // time to the hard abort that it would have after a busy loop.
  const std::uint64_t soft_limit = limits_.timeout_soft_instructions;
  if (!soft_timeout_raised_ && instructions_since_yield_ <= soft_limit &&
      instructions > soft_limit - instructions_since_yield_)
    instructions = soft_limit - instructions_since_yield_ + 1;
  count_instructions(L, instructions, false);
  // Library work cannot be paused midway; charging it to the slice makes the next hook pause
  // sooner instead.
  slice_used_ = instructions > UINT64_MAX - slice_used_ ? UINT64_MAX : slice_used_ + instructions;
}

void machine::count_instructions(lua_State* L, std::uint64_t instructions, bool at_position) {
  // Saturating: a library call may charge for more work than it will ever be allowed to do.
  const std::uint64_t budget_used =
      instructions > UINT64_MAX - instructions_since_yield_ ? UINT64_MAX : instructions_since_yield_ + instructions;
  owner_.stats().instructions += budget_used - instructions_since_yield_;
  instructions_since_yield_ = budget_used;
  if (!hard_abort_ && soft_timeout_raised_ &&
      instructions_since_yield_ > limits_.timeout_soft_instructions + limits_.timeout_hard_instructions) {
    hard_abort_ = true;
    ++owner_.stats().timeouts_hard;
  }
  if (hard_abort_) {
    // Sticky: raise on every instruction of every coroutine until the error reaches the
    // host, so no pcall loop can hold on to the computer.
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    lua_sethook(main_, count_hook, LUA_MASKCOUNT, 1);
    lua_pushlstring(L, timeout_message.data(), timeout_message.size());
    lua_error(L);
  }
  if (!soft_timeout_raised_ && instructions_since_yield_ > limits_.timeout_soft_instructions) {
    soft_timeout_raised_ = true;
    ++owner_.stats().timeouts_soft;
    if (at_position) luaL_where(L, 0);
    else lua_pushliteral(L, "");
    lua_pushlstring(L, timeout_message.data(), timeout_message.size());
    lua_concat(L, 2);
    lua_error(L);
  }
}

}  // namespace redrund
