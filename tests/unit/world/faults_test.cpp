// Fault injection seen from real computers (partitions, loss, per-link loss, delay, seeds)
// and the receiving side's bounded event queue.

#include <algorithm>

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

// Lua: collects the payloads of modem messages on channel 7 for `seconds`, prints them
// comma-separated (or "none").
const std::string collect_lua = R"(
peripheral.call("top", "open", 7)
local function collect(seconds)
  local timer, got = os.startTimer(seconds), {}
  while true do
    local e, a, channel, _, message = os.pullEvent()
    if e == "modem_message" and channel == 7 then
      got[#got + 1] = tostring(message)
    elseif e == "timer" and a == timer then
      break
    end
  end
  print(#got == 0 and "none" or table.concat(got, ","))
end
)";

// Lua: transmits 1..n on channel 7 in one go.
std::string burst_lua(int n) {
  return "sleep(0.5) for i = 1, " + std::to_string(n) + " do peripheral.call('top', 'transmit', 7, 7, i) end";
}

// The terminal is 51 columns wide, so a long list wraps: join it back.
std::string flat(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());
  return text;
}

std::string numbers(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += (out.empty() ? "" : ",") + std::to_string(i);
  return out;
}

}  // namespace

TEST_CASE("faults: a partition cuts delivery between its groups from tick A until B", "[world][faults]") {
  fault_plan faults;
  faults.partitions.push_back({{{1}, {2, 3}}, 100, 200});  // 5 s to 10 s
  world_fixture f(world_with(1, faults));
  f.add(2, collect_lua + "collect(20)", at(1, 0, 0), {wireless("top")});
  f.add(3, collect_lua + "collect(20)", at(2, 0, 0), {wireless("top")});
  f.add(4, collect_lua + "collect(20)", at(3, 0, 0), {wireless("top")});  // in no group
  // One message a second, at ticks 20, 40, ... 300.
  f.add(1, "for i = 1, 15 do sleep(1) peripheral.call('top', 'transmit', 7, 7, i) end", at(0, 0, 0),
        {wireless("top")});
  f.run();
  const std::string healed = "1,2,3,4,10,11,12,13,14,15";
  CHECK(f.out(2) == healed);
  CHECK(f.out(3) == healed);
  CHECK(f.out(4) == numbers(1, 15));
  CHECK(f.sim().faults().stats().partitioned == 10);
}

TEST_CASE("faults: a partition stops rednet too, and it works again once healed", "[world][faults][rednet]") {
  fault_plan faults;
  faults.partitions.push_back({{{1}, {2}}, 0, 100});
  world_fixture f(world_with(1, faults));
  f.add(2, R"(
    rednet.open("top")
    while true do
      local id, message = rednet.receive(20)
      if not id then break end
      print(message, os.clock())
      if message == "stop" then break end
    end
  )",
        at(10, 0, 0), {wireless("top")});
  f.add(1, R"(
    rednet.open("top")
    sleep(1)
    rednet.send(2, "lost")
    sleep(5)
    rednet.send(2, "stop")
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) == "stop\t6");
}

TEST_CASE("faults: loss 1.0 drops every message, loss 0 none", "[world][faults]") {
  for (const double loss : {0.0, 1.0}) {
    fault_plan faults;
    faults.loss = loss;
    world_fixture f(world_with(3, faults));
    f.add(2, collect_lua + "collect(2)", at(1, 0, 0), {wireless("top")});
    f.add(1, burst_lua(100), at(0, 0, 0), {wireless("top")});
    f.run();
    CHECK(flat(f.out(2)) == (loss == 0 ? numbers(1, 100) : "none"));
    CHECK(f.sim().faults().stats().lost == (loss == 0 ? 0u : 100u));
  }
}

TEST_CASE("faults: per-link loss replaces the global loss on that link only", "[world][faults]") {
  fault_plan faults;
  faults.links.push_back({2, 1, 1.0});
  world_fixture f(world_with(1, faults));
  f.add(2, collect_lua + "collect(2)", at(1, 0, 0), {wireless("top")});
  f.add(3, collect_lua + "collect(2)", at(2, 0, 0), {wireless("top")});
  f.add(1, burst_lua(10), at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) == "none");
  CHECK(f.out(3) == numbers(1, 10));
}

TEST_CASE("faults: delay_ticks holds every delivery back exactly that many ticks", "[world][faults]") {
  fault_plan faults;
  faults.delay_ticks = 7;
  world_fixture f(world_with(1, faults));
  f.add(2, R"(
    peripheral.call("top", "open", 7)
    for i = 1, 2 do
      local _, _, _, _, message = os.pullEvent("modem_message")
      print(message, os.clock())
    end
  )",
        at(1, 0, 0), {wireless("top")});
  f.add(1, R"(
    sleep(1)
    peripheral.call("top", "transmit", 7, 7, "first")
    print(os.clock())
    sleep(0.1)
    peripheral.call("top", "transmit", 7, 7, "second")
    print(os.clock())
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(1) == "1\n1.1");
  CHECK(f.out(2) == "first\t1.35\nsecond\t1.45");
  CHECK(f.sim().faults().stats().delayed == 2);
}

namespace {

// Which of 60 messages get through with 30% loss, under `seed`.
std::string delivered_with_loss(std::uint64_t seed) {
  fault_plan faults;
  faults.loss = 0.3;
  world_fixture f(world_with(seed, faults));
  f.add(2, collect_lua + "collect(2)", at(1, 0, 0), {wireless("top")});
  f.add(1, burst_lua(60), at(0, 0, 0), {wireless("top")});
  f.run();
  return flat(f.out(2));
}

}  // namespace

TEST_CASE("faults: the same seed loses the same messages, another seed others", "[world][faults]") {
  const std::string first = delivered_with_loss(5);
  CHECK(first == delivered_with_loss(5));
  CHECK(first != delivered_with_loss(6));
  const auto kept = std::count(first.begin(), first.end(), ',') + 1;
  CHECK(kept > 30);
  CHECK(kept < 55);
}

TEST_CASE("a flood of 300 messages: the receiver's queue keeps 256, the sender never blocks",
          "[world][queue]") {
  world_fixture f;
  // The receiver is idle in os.pullEvent when the flood lands in one go.
  auto& receiver = f.add(2, R"(
    peripheral.call("top", "open", 7)
    local timer, n, last = os.startTimer(1), 0, 0
    while true do
      local e, a, _, _, message = os.pullEvent()
      if e == "modem_message" then n, last = n + 1, message
      elseif e == "timer" and a == timer then break end
    end
    print(n, last)
  )",
                         at(1, 0, 0), {wireless("top")});
  f.add(1, R"(
    for i = 1, 300 do peripheral.call("top", "transmit", 7, 7, i) end
    print("sent", os.clock())
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(1) == "sent\t0");
  CHECK(f.out(2) == "256\t256");
  CHECK(receiver.queue().dropped() == 44);
}
