// The event model: filters, terminate, queue overflow, timers and alarms in virtual time.

#include <catch2/catch.hpp>

#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;

TEST_CASE("pullEvent filters deliver only matching events, terminate always", "[scheduler]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    os.queueEvent("a", 1) os.queueEvent("b", 2) os.queueEvent("terminate")
    print(os.pullEventRaw("b"))
    print(os.pullEventRaw("b"))
    os.queueEvent("terminate")
    local ok, err = pcall(os.pullEvent, "zzz")
    print(ok, err)
  )");
  // print separates values with tabs, as CC's. "a" is consumed while waiting for "b"; terminate bypasses the filter of pullEventRaw.
  CHECK(out == "b\t2\nterminate\nfalse\tTerminated");
}

TEST_CASE("events queued by a program arrive after the current resume, in order", "[scheduler]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    for i = 1, 3 do os.queueEvent("n", i) end
    local got = {}
    for i = 1, 3 do local _, n = os.pullEvent("n") got[#got + 1] = n end
    print(table.concat(got, ","))
  )");
  CHECK(out == "1,2,3");
}

TEST_CASE("a full event queue drops events and counts them", "[scheduler]") {
  sim_fixture f;
  auto& c = f.add(0, R"(
    for i = 1, 300 do os.queueEvent("x", i) end
    local timer, n, last = os.startTimer(0), 0, 0
    while true do
      local e, v = os.pullEvent()
      if e == "x" then n, last = n + 1, v elseif e == "timer" and v == timer then break end
    end
    print(n, last)
  )");
  f.run();
  CHECK(f.output.text_of(0) == "256\t256");
  CHECK(c.queue().dropped() == 44);
}

TEST_CASE("timers are quantised to ticks with round-to-nearest", "[scheduler][timers]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    local function wait(t)
      local start = os.clock()
      local id = os.startTimer(t)
      repeat local _, got = os.pullEvent("timer") until got == id
      return os.clock() - start
    end
    print(wait(0), wait(0.07), wait(0.08), wait(1), wait(-5))
    sleep(2.5)
    print(os.clock())
  )");
  // 0 and 1-tick timers fire on the next tick; 0.08 s rounds to 2 ticks.
  CHECK(out == "0.05\t0.05\t0.1\t1\t0.05\n3.75");
}

TEST_CASE("timer ids start at 0 and cancelled timers never fire", "[scheduler][timers]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    local a = os.startTimer(1)
    local b = os.startTimer(2)
    os.cancelTimer(a)
    os.cancelTimer(12345)
    local _, id = os.pullEvent("timer")
    print(a, b, id, os.clock())
  )");
  CHECK(out == "0\t1\t1\t2");
}

TEST_CASE("alarms fire on the in-game clock, after timers' separate ids", "[scheduler][timers]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    local t = os.startTimer(100)
    print(os.time(), os.day())
    local alarm = os.setAlarm(7)
    local _, id = os.pullEvent("alarm")
    print(alarm, id, os.clock(), os.time())
    print(pcall(os.setAlarm, 24))
  )");
  // Day time 0 is 06:00; one in-game hour is 1000 ticks = 50 s; CC fires a tick late.
  CHECK(out == "6\t1\n0\t0\t50.05\t7.001\nfalse\tNumber out of range");
}

TEST_CASE("the run stops at the time limit when a program waits forever on a timer", "[scheduler]") {
  sim_fixture f;
  auto& c = f.add(0, "while true do sleep(10) end");
  CHECK(f.run(60) == redrund::run_end::time_limit);
  CHECK(c.is_on());
  CHECK(f.sim().clock().now_ticks == 60 * 20);
}

TEST_CASE("a program waiting for an event that can never come ends the run early", "[scheduler]") {
  sim_fixture f;
  f.add(0, "os.pullEvent('never')");
  CHECK(f.run(3600) == redrund::run_end::nothing_left);
  CHECK(f.sim().clock().now_ticks == 0);
}

TEST_CASE("os.shutdown and os.reboot", "[scheduler]") {
  sim_fixture f;
  auto& c = f.add(0, R"(
    if fs.exists("booted") then print("second boot", os.clock()) os.shutdown() end
    local h = fs.open("booted", "w") h.close()
    print("first boot")
    sleep(1)
    os.reboot()
    print("not reached")
  )");
  f.run();
  CHECK(f.output.text_of(0) == "first boot\nsecond boot\t0");
  CHECK_FALSE(c.is_on());
}
