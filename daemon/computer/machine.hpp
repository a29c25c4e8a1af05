#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "computer/lua_context.hpp"
#include "computer/value.hpp"
#include "config/limits.hpp"

namespace redrund {

class computer;

// CC's message for a run that went too long without yielding (soft error and hard abort).
inline constexpr std::string_view timeout_message = "Too long without yielding";

// What one resume of the top-level coroutine ended in.
struct machine_result {
  // paused: preempted mid-run (limits.slice_instructions); continue_run() goes on with it.
  enum class status : std::uint8_t { yielded, finished, errored, aborted, paused };
  status outcome = status::yielded;
  std::string error;  // message and traceback, for errored/aborted
};

// How a host-started chunk (lua.eval) ended: its return values, or the Lua error.
struct eval_outcome {
  bool ok = true;
  std::string error;
  value_list values;
};
using eval_callback = std::function<void(eval_outcome)>;

// A computer's Lua state: allocator cap, the instruction-count hook that implements "Too long
// without yielding", and the top-level coroutine the host resumes with events (as CC's
// CobaltLuaMachine). Sim thread only; one per computer, never touched by another computer.
class machine {
 public:
  machine(computer& owner, const computer_limits& limits);
  ~machine();
  machine(const machine&) = delete;
  machine& operator=(const machine&) = delete;

  // Sets up the sandboxed globals and natives, then loads `bios` (source text, or the ROM's
  // precompiled bytecode when `binary`) as the body of the top-level coroutine. Returns an
  // error message if that fails.
  std::optional<std::string> boot(std::string_view bios, std::string_view chunk_name, bool binary);

  // The first resume passes no arguments; later ones pass an event's name and arguments.
  machine_result start();
  machine_result resume(const event& e);

  // The top-level filter (CC discards events that do not match it, except "terminate").
  bool accepts(std::string_view event_name) const;

  // Preemption. A paused run must be continued before this VM runs anything else: no new
  // event, no new eval.
  bool paused() const { return stage_ != stage::idle; }
  machine_result continue_run();
  // For the coroutine library (coroutine_api.cpp): whether the yield it just saw is a pause,
  // and giving one up where the caller cannot yield (the run then simply goes on).
  bool pause_requested() const { return pause_requested_; }
  void refuse_pause();

  // Runs `code` as a program would: in its own coroutine beside the top level, with a
  // program's environment, seeing the computer's events (filtered as parallel does) so it
  // may sleep or wait for messages. `done` is called when it returns or raises, or with an
  // error if the computer stops first. (machine_eval.cpp)
  void start_eval(std::string_view code, const value_list& args, eval_callback done);
  std::size_t evals_running() const { return evals_.size(); }
  // An eval ran past the hard timeout: the computer must stop, as after a top-level abort.
  bool hard_aborted() const { return hard_abort_; }
  void cancel_evals(const std::string& reason);

  std::size_t memory_bytes() const { return memory_bytes_; }
  const computer_limits& limits() const { return limits_; }

  // Hook entry points (called from the C hook and allocator). on_count_hook returns true when
  // the hook must pause the run by yielding.
  bool on_count_hook(lua_State* L);
  // Work a library function does without running VM instructions (elements moved, bytes
  // copied), charged to the budget in instructions as the count hook charges Lua code. Raises
  // "Too long without yielding" (without a position, as CC does inside library calls) when it
  // spends the budget, so call it only with no C++ object alive in the calling frame.
  void charge(lua_State* L, std::uint64_t instructions);
  void* reallocate(void* block, std::size_t old_bytes, std::size_t new_bytes);

 private:
  // Where a paused run stopped: in the top level, or in the evals after it.
  enum class stage : std::uint8_t { idle, top_level, evals };
  enum class step : std::uint8_t { waiting, ended, paused };

  // Resumes a host thread; LUA_YIELD from a pause comes back as the `paused` flag.
  int resume_thread(lua_State* co, int argument_count, int& result_count, bool& paused);
  void start_counting();  // a fresh run: the "too long without yielding" count starts over
  // Adds to the count since the last yield; raises the soft timeout (with the position of
  // the running Lua code when `at_position`) or the hard abort when they are due.
  void count_instructions(lua_State* L, std::uint64_t instructions, bool at_position);
  machine_result run(int argument_count);
  machine_result after_top_level(const event& e, machine_result result);
  machine_result resume_waiting_evals(const event& e);

  struct eval_slot {
    std::uint64_t id = 0;
    lua_State* thread = nullptr;
    bool has_filter = false;
    std::string filter;
    eval_callback done;
  };
  // Pushes an event's name and arguments onto `co` (protected); false when out of memory.
  bool push_event_onto(lua_State* co, const event& e, int& count);
  // Resumes eval `index`: a fresh resume with `argument_count` values, or (continuing)
  // where a pause left it.
  step step_eval(std::size_t index, int argument_count, bool continuing = false);
  void finish_eval(std::size_t index, eval_outcome outcome);
  // Where eval `id` is in evals_, or evals_.size() when it has ended.
  std::size_t eval_index(std::uint64_t id) const;

  computer& owner_;
  const computer_limits& limits_;
  lua_context context_;
  lua_State* state_ = nullptr;
  lua_State* main_ = nullptr;  // the top-level coroutine
  std::size_t memory_bytes_ = 0;
  std::uint64_t instructions_since_yield_ = 0;
  bool soft_timeout_raised_ = false;
  bool hard_abort_ = false;
  bool has_filter_ = false;
  std::string filter_;
  std::vector<eval_slot> evals_;  // in start order: resumed in that order, deterministically
  std::uint64_t next_eval_id_ = 1;
  // Preemption state: the stage a paused run is in, the event it is delivering (evals still
  // get it after the top level), the evals still to see it, and the paused eval (0: none).
  stage stage_ = stage::idle;
  event paused_event_;
  std::vector<std::uint64_t> evals_waiting_;
  std::uint64_t paused_eval_ = 0;
  std::uint64_t slice_used_ = 0;
  bool pause_requested_ = false;
};

}  // namespace redrund
