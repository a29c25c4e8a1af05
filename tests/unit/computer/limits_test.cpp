// Per-computer limits: memory cap and "Too long without yielding", without harm to others.

#include <catch2/catch.hpp>

#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;
using redrund::testing::small_limits;

TEST_CASE("a memory bomb fails with 'not enough memory' in that computer only", "[limits]") {
  sim_fixture f;
  auto& bomb = f.add(1, R"(
    local ok, err = pcall(function()
      local t = {}
      for i = 1, 1e9 do t[i] = ("x"):rep(1000) .. i end
    end)
    print(ok, err)
    local t = {} for i = 1, 100 do t[i] = i end
    print("still running", #t)
  )", small_limits());
  f.add(2, "sleep(1) print('neighbour fine')", small_limits());
  f.run();
  CHECK(f.output.text_of(1) == "false\tnot enough memory\nstill running\t100");
  CHECK(f.output.text_of(2) == "neighbour fine");
  CHECK(bomb.stats().memory_errors > 0);
}

TEST_CASE("a busy loop gets a catchable 'Too long without yielding'", "[limits]") {
  sim_fixture f;
  auto& c = f.add(0, R"(
    local ok, err = pcall(function() while true do end end)
    print(ok, err)
    sleep(0)
    local ok2, err2 = pcall(function() local x = 0 while true do x = x + 1 end end)
    print(ok2, err2)
  )", small_limits());
  f.run();
  CHECK(f.output.text_of(0) ==
        "false\t/main.lua:2: Too long without yielding\n"
        "false\t/main.lua:5: Too long without yielding");
  CHECK(c.stats().timeouts_soft == 2);
  CHECK(c.stats().timeouts_hard == 0);
}

TEST_CASE("code that keeps running after the soft timeout is hard-aborted", "[limits]") {
  sim_fixture f;
  auto& c = f.add(0, R"(
    while true do pcall(function() while true do end end) end
  )", small_limits());
  f.add(1, "sleep(5) print('neighbour fine')", small_limits());
  f.run();
  CHECK_FALSE(c.is_on());
  CHECK(c.stats().timeouts_hard == 1);
  CHECK(c.stop_reason().find("Too long without yielding") != std::string::npos);
  CHECK(f.output.text_of(1) == "neighbour fine");
}

TEST_CASE("the timeout budget resets at each top-level yield", "[limits]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    for round = 1, 5 do
      local x = 0
      for i = 1, 300000 do x = x + i end  -- well under the budget each time
      sleep(0)
    end
    print("done")
  )", small_limits());
  CHECK(out == "done");
}
