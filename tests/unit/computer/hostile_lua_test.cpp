// Hostile Lua programs: each case once crashed or froze the whole process. Now each ends in a
// Lua error (CC's wording) or in that one computer stopping, while a neighbour keeps running.

#include <catch2/catch.hpp>

#include "computer/machine.hpp"
#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;
using redrund::testing::small_limits;

namespace {

// Runs `program` on computer 1 beside a neighbour (computer 2) that sleeps and then prints;
// the neighbour must always finish. Returns computer 1's output.
std::string run_beside_neighbour(sim_fixture& f, const std::string& program) {
  f.add(1, program, small_limits(8 * 1024 * 1024));
  f.add(2, "sleep(2) print('neighbour fine')", small_limits(8 * 1024 * 1024));
  f.run(60);
  CHECK(f.output.text_of(2) == "neighbour fine");
  return f.output.text_of(1);
}

}  // namespace

TEST_CASE("an xpcall message handler runs under the timeout budget", "[hostile][limits]") {
  SECTION("a handler that never returns gets the computer hard-aborted, not the process frozen") {
    sim_fixture f;
    run_beside_neighbour(f, "print(xpcall(error, function() while true do end end)) print('after')");
    const auto& c = *f.sim().find_computer(1);
    CHECK_FALSE(c.is_on());
    CHECK(c.stop_reason().find("Too long without yielding") != std::string::npos);
  }
  SECTION("handlers still work: their result, the timeout they catch, debug.traceback") {
    sim_fixture f;
    const auto out = run_beside_neighbour(f, R"(
      print(xpcall(error, function(m) local x = 0 for i = 1, 1000 do x = x + i end return "handled " .. m end, "boom"))
      print(select(2, xpcall(function() while true do end end, function(m) return "caught: " .. m end)))
      local ok, trace = xpcall(function() error("deep") end, debug.traceback)
      print(ok, trace:match("^[^\n]*"), trace:find("stack traceback:", 1, true) ~= nil)
      print(xpcall(function(a, b) return a + b end, print, 1, 2))
    )");
    CHECK(out ==
          "false\thandled boom\n"
          "caught: /main.lua:3: Too long without yielding\n"
          "false\t/main.lua:4: deep\ttrue\n"
          "true\t3");
  }
  SECTION("a handler that errors or yields ends the xpcall with an error, as in Lua") {
    sim_fixture f;
    const auto out = run_beside_neighbour(f, R"(
      print(xpcall(error, function() error("again", 0) end, "first"))
      local co = coroutine.wrap(function()
        return xpcall(error, function() coroutine.yield("out") return "no" end, "x")
      end)
      print(co())
    )");
    CHECK(out.find("false") == 0);
    CHECK(out.find("\nfalse") != std::string::npos);
    CHECK(out.find("no") == std::string::npos);
  }
}

TEST_CASE("__gc metamethods are not run, as in CC: Tweaked", "[hostile][sandbox]") {
  sim_fixture f;
  const auto out = run_beside_neighbour(f, R"(
    local mt = { __gc = function() while true do end end }
    local kept = setmetatable({}, mt)
    for i = 1, 20 do setmetatable({}, mt) end
    debug.setmetatable(function() end, nil)
    for round = 1, 30 do local t = {} for i = 1, 2000 do t[i] = { i } end end
    print(getmetatable(kept) == mt, mt.__gc ~= nil, "after")
  )");
  CHECK(out == "true\ttrue\tafter");
}

TEST_CASE("setmetatable leaves a metatable's own metatable alone", "[hostile][sandbox]") {
  // The __gc field is read and put back raw, as Lua itself looks it up: a metatable's own
  // __index/__newindex never run and never change what the metatable holds.
  sim_fixture f;
  const auto out = run_beside_neighbour(f, R"(
    local calls = 0
    local watched = { __newindex = function(t, k, v) calls = calls + 1 rawset(t, "hijacked", v) end,
                      __index = function(t, k) calls = calls + 1 if k == "__gc" then return print end end }
    local with_gc = setmetatable({ __gc = function() end }, watched)
    setmetatable({}, with_gc)
    local without_gc = setmetatable({}, watched)
    setmetatable({}, without_gc)
    print(calls, rawget(with_gc, "__gc") ~= nil, rawget(with_gc, "hijacked"), rawget(without_gc, "__gc"))
  )");
  CHECK(out == "0\ttrue\tnil\tnil");
}

TEST_CASE("debug cannot reach into C functions or C frames", "[hostile][sandbox]") {
  sim_fixture f;
  const auto out = run_beside_neighbour(f, R"(
    local wrapped = coroutine.wrap(function() coroutine.yield(1) return 2 end)
    print(debug.setupvalue(wrapped, 1, "not a thread"), debug.getupvalue(wrapped, 1))
    print(wrapped(), wrapped())
    local iterator = ("a b c"):gmatch("%a")
    print(debug.setupvalue(iterator, 1, 42), debug.setupvalue(iterator, 2, {}))
    print(iterator(), iterator(), iterator())
    print(debug.getupvalue(math.randomseed, 1), debug.setupvalue(string.rep, 1, 1), debug.upvalueid(wrapped, 1))
    local t = { 5, 3, 9, 1, 7 }
    table.sort(t, function(a, b)
      for level = 2, 3 do for n = 1, 4 do debug.setlocal(level, n, "x") end end
      return a < b
    end)
    print(table.concat(t, " "))
    print(select(2, pcall(debug.upvaluejoin, wrapped, 1, function() return t end, 1)):match("Lua function expected"))
    local function lua_fn() return t end
    print(debug.getupvalue(lua_fn, 1) == "t", debug.setupvalue(lua_fn, 1, 5), lua_fn())
  )");
  // A refused get or set returns nothing, as for an upvalue that does not exist.
  CHECK(out ==
        "nil\n"
        "1\t2\n"
        "nil\n"
        "a\tb\tc\n"
        "nil\tnil\n"
        "1 3 5 7 9\n"
        "Lua function expected\n"
        "true\tt\t5");
}

TEST_CASE("long loops inside library functions count against the budget", "[hostile][limits]") {
  sim_fixture f;
  const auto out = run_beside_neighbour(f, R"(
    -- Each timeout is the soft one: the budget starts over at the sleep(0) after it.
    print(pcall(table.move, {}, 1, 1e15, 2)) sleep(0)
    -- Metamethods that are C functions run no Lua code the count hook could stop.
    local huge = setmetatable({}, { __len = function() return 1e15 end, __index = rawlen, __newindex = rawequal })
    print(pcall(table.insert, huge, 1, "x")) sleep(0)
    print(pcall(table.remove, huge, 1)) sleep(0)
    print(pcall(table.concat, huge)) sleep(0)
    local big = setmetatable({}, { __len = function() return 2 ^ 30 end, __index = rawlen })
    print(pcall(table.sort, big)) sleep(0)
    print(#string.rep("", 1e15), #string.rep("", 1e15, ""), #("ab"):rep(3, ","))
    print(table.concat(table.move({ 1, 2, 3 }, 1, 3, 2), " "))
    sleep(0)
    print("after")
  )");
  CHECK(out ==
        "false\tToo long without yielding\n"
        "false\tToo long without yielding\n"
        "false\tToo long without yielding\n"
        "false\tToo long without yielding\n"
        "false\tToo long without yielding\n"
        "0\t0\t8\n"
        "1 1 2 3\n"
        "after");
}

TEST_CASE("an eval with many arguments grows the stack", "[hostile][eval]") {
  sim_fixture f;
  auto& c = f.add(0, "while true do os.pullEvent('never') end");
  f.sim().run_ready();
  redrund::value_list args;
  for (int i = 1; i <= 5000; ++i) args.items.push_back(redrund::value::of_number(i));
  std::optional<redrund::eval_outcome> outcome;
  c.start_eval("return select('#', ...), select(5000, ...)", args, [&](redrund::eval_outcome o) { outcome = std::move(o); });
  redrund::run_virtual(f.sim(), [&] { return outcome.has_value(); }, 20 * 60);
  REQUIRE(outcome.has_value());
  REQUIRE(outcome->ok);
  CHECK(outcome->values.items.at(0).number == 5000);
  CHECK(outcome->values.items.at(1).number == 5000);
}
