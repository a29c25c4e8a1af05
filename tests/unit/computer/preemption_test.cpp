// Preemption (computer_limits::slice_instructions): a run that does not yield is paused and
// continued later, invisibly to the program, so one busy computer cannot hold up the others.

#include <catch2/catch.hpp>

#include "computer/machine.hpp"
#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;

namespace {

redrund::computer_limits preempted(std::uint64_t slice_instructions, std::size_t slices_per_tick_max = 1'000'000) {
  redrund::computer_limits limits;
  limits.slice_instructions = slice_instructions;
  limits.slices_per_tick_max = slices_per_tick_max;
  return limits;
}

// Coroutines in every arrangement the pause has to pass through or around: nested resume,
// wrap, parallel, pcall, metamethods, a sort comparator and a gsub callback (where it cannot
// yield), errors raised inside paused coroutines, and values yielded between pauses.
const std::string coroutine_workout = R"(
local function work(n) local x = 0 for i = 1, n do x = (x + i * 7) % 1000003 end return x end

local gen = coroutine.wrap(function()
  for i = 1, 3 do coroutine.yield(i, work(40000 * i)) end
  return "gen done"
end)
print(gen()) print(gen()) print(gen()) print(gen())

local inner = coroutine.create(function(a, b)
  local nested = coroutine.create(function(c) local got = coroutine.yield(c + work(50000)) return got * 2 end)
  local ok1, v1 = coroutine.resume(nested, a + b)
  local ok2, v2 = coroutine.resume(nested, 21)
  local again = coroutine.yield(ok1, v1, ok2, v2, coroutine.status(nested))
  return again .. "!"
end)
print(coroutine.resume(inner, 1, 2))
print(coroutine.resume(inner, "end"))
print(coroutine.resume(inner))

print(pcall(function() work(60000) error("raised after work", 0) end))
local failing = coroutine.create(function() work(60000) error({ code = 7 }) end)
local ok, e = coroutine.resume(failing)
print(ok, type(e), e.code, coroutine.status(failing))
print(pcall(coroutine.wrap(function() work(60000) error("wrapped") end)))

local lazy = setmetatable({}, { __index = function(_, k) return k .. work(50000) end })
print(lazy.key)

local list = {}
for i = 1, 40 do list[i] = (i * 37) % 41 end
table.sort(list, function(a, b) work(2000) return a < b end)
print(list[1], list[20], list[40])
print((("abc"):gsub("%w", function(c) work(20000) return c:upper() end)))

local results = {}
parallel.waitForAll(
  function() results[1] = work(150000) sleep(0) results[3] = work(10) end,
  function() results[2] = work(120000) end)
print(results[1], results[2], results[3])
print(coroutine.isyieldable(), coroutine.running() ~= nil)
)";

// Catches the soft timeout and goes on, so the hard abort turns the computer off.
const std::string runaway = "while true do pcall(function() while true do end end) end";

}  // namespace

TEST_CASE("a paused run is invisible to the program: coroutines, errors and C boundaries", "[preemption]") {
  sim_fixture plain;
  const std::string expected = plain.run_program(coroutine_workout);
  REQUIRE(plain.sim().find_computer(0)->stats().pauses == 0);
  REQUIRE(expected.find("gen done") != std::string::npos);

  // Pausing at every hook (each 10,000 instructions) exercises every path of the pause.
  sim_fixture f;
  const std::string out = f.run_program(coroutine_workout, preempted(1));
  CHECK(out == expected);
  CHECK(f.sim().find_computer(0)->stats().pauses > 50);
  CHECK(f.output.text_of(0, redrund::output_stream::err).empty());
}

TEST_CASE("a runaway computer takes simulated time, its neighbour runs meanwhile", "[preemption]") {
  sim_fixture f;
  redrund::computer_limits limits = preempted(100'000, 2);
  limits.timeout_soft_instructions = 2'000'000;
  limits.timeout_hard_instructions = 1'000'000;
  auto& busy = f.add(0, runaway, limits);
  f.add(1, "for i = 1, 4 do sleep(0.1) print(os.clock()) end", limits);
  f.run();
  CHECK_FALSE(busy.is_on());
  CHECK(busy.stop_reason().find("Too long without yielding") != std::string::npos);
  // 3 million instructions at 2 slices of 100,000 per tick: about 15 ticks (0.75 s).
  CHECK(busy.stats().pauses >= 25);
  CHECK(f.sim().clock().now_ticks >= 14);
  CHECK(f.output.text_of(1) == "0.1\n0.2\n0.3\n0.4");
}

TEST_CASE("without a slice, a runaway computer stops within the tick it started in", "[preemption]") {
  sim_fixture f;
  redrund::computer_limits limits;
  limits.timeout_soft_instructions = 2'000'000;
  limits.timeout_hard_instructions = 1'000'000;
  auto& busy = f.add(0, runaway, limits);
  f.run();
  CHECK_FALSE(busy.is_on());
  CHECK(busy.stats().pauses == 0);
  CHECK(f.sim().clock().now_ticks == 0);
}

TEST_CASE("a paused eval finishes, evals and events that come meanwhile wait their turn", "[preemption]") {
  sim_fixture f;
  auto& c = f.add(0, "while true do print(os.pullEvent('ping')) end", preempted(50'000, 4));
  f.sim().run_ready();
  std::vector<std::string> finished;
  std::optional<redrund::eval_outcome> heavy, light;
  c.start_eval("local x = 0 for i = 1, 2000000 do x = x + i end return x", {}, [&](redrund::eval_outcome o) {
    finished.push_back("heavy");
    heavy = std::move(o);
  });
  REQUIRE(c.has_pending_events());  // the paused eval
  c.start_eval("return 'light'", {}, [&](redrund::eval_outcome o) {
    finished.push_back("light");
    light = std::move(o);
  });
  CHECK(c.queue_event(redrund::event{"ping", {}}));
  redrund::run_virtual(f.sim(), [&] { return heavy && light && !c.has_pending_events(); }, 20 * 60);
  REQUIRE(heavy);
  REQUIRE(light);
  REQUIRE(heavy->ok);
  CHECK(heavy->values.items.at(0).number == 2000001000000.0);
  CHECK(light->values.items.at(0).text == "light");
  CHECK(finished == std::vector<std::string>{"heavy", "light"});
  CHECK(f.output.text_of(0) == "ping");
  CHECK(c.stats().pauses > 10);
  CHECK(f.sim().clock().now_ticks > 0);  // 4 slices a tick: the eval took simulated time
}
