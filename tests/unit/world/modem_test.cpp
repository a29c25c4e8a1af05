// The modem peripheral on real computers running Lua: methods, channel rules, who hears a
// transmission (range, altitude, dimensions, ender, wired cables), remote peripherals and
// attach/detach events. Expected values follow cc-tweaked-behaviour.md §1.

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

// Lua: prints every modem_message heard within `seconds` as
// "side channel reply message distance n=<argument count>", then returns.
const std::string listen_lua = R"(
local function show(v)
  if type(v) == "table" then return "table" end
  return tostring(v)
end
local function listen(seconds)
  local timer = os.startTimer(seconds)
  while true do
    local e = table.pack(os.pullEvent())
    if e[1] == "modem_message" then
      print(e[2], e[3], e[4], show(e[5]), show(e[6]), "n=" .. (e.n - 1))
    elseif e[1] == "timer" and e[2] == timer then
      return
    end
  end
end
)";

// A receiver: opens `channel` on `side`, prints what it hears for 2 s.
std::string receiver(const std::string& side, int channel) {
  return listen_lua + "peripheral.call('" + side + "', 'open', " + std::to_string(channel) + ")\nlisten(2)\n";
}

// A sender: after a tick, transmits `message` (Lua source) on channel 7, reply 9.
std::string sender(const std::string& side, const std::string& message = "'hi'") {
  return "sleep(0)\nperipheral.call('" + side + "', 'transmit', 7, 9, " + message + ")\nprint('sent')\n";
}

}  // namespace

TEST_CASE("modem methods: open, isOpen, close, closeAll, isWireless and channel errors", "[world][modem]") {
  world_fixture f;
  f.add(1, R"(
    local m = peripheral.wrap("top")
    print(m.isWireless(), peripheral.call("back", "isWireless"), peripheral.call("left", "isWireless"))
    print(m.isOpen(1))
    m.open(1) print(m.isOpen(1))
    m.open(1) m.close(1) print(m.isOpen(1))
    m.close(1) m.close(2) print(m.isOpen(1))
    print(pcall(m.open, -1))
    print(pcall(m.open, 65536))
    print(pcall(m.open, "1"))
    print(pcall(m.open))
    print(pcall(m.isOpen, 70000))
    print(pcall(m.close, -5))
    print(pcall(m.transmit, 65536, 1, "x"))
    print(pcall(m.transmit, 1, -1, "x"))
    print(pcall(m.transmit, 1, "2", "x"))
    print(pcall(peripheral.call, "top", "open", {}))
    print(pcall(m.open, 0/0))
    print(pcall(m.open, math.huge))
    print(pcall(m.open, -math.huge))
    m.open(1.9) print(m.isOpen(1), m.isOpen(2), m.isOpen(1.5))
    m.open(65535.7) print(m.isOpen(65535))
    m.open(-0.5) print(m.isOpen(0))
    m.closeAll() print(m.isOpen(1), m.isOpen(0), m.isOpen(65535))
    print(pcall(peripheral.call, "top", "frobnicate"))
    print(pcall(peripheral.call, "top", "getNamesRemote"))
  )",
        at(0, 0, 0), {wireless("top"), ender("back"), wired("left", "c")});
  f.run();
  CHECK(f.out(1) ==
        "true\ttrue\tfalse\n"
        "false\n"
        "true\n"
        "false\n"
        "false\n"
        "false\tExpected number in range 0-65535\n"
        "false\tExpected number in range 0-65535\n"
        "false\tbad argument #1 (number expected, got string)\n"
        "false\tbad argument #1 (number expected, got nil)\n"
        "false\tExpected number in range 0-65535\n"
        "false\tExpected number in range 0-65535\n"
        "false\tExpected number in range 0-65535\n"
        "false\tExpected number in range 0-65535\n"
        "false\tbad argument #2 (number expected, got string)\n"
        "false\tbad argument #1 (number expected, got table)\n"
        "false\tbad argument #1 (number expected, got nan)\n"
        "false\tbad argument #1 (number expected, got inf)\n"
        "false\tbad argument #1 (number expected, got -inf)\n"
        "true\tfalse\ttrue\n"
        "true\n"
        "true\n"
        "false\tfalse\tfalse\n"
        "false\tNo such method frobnicate\n"
        "false\tNo such method getNamesRemote");
}

TEST_CASE("a modem opens at most 128 channels, re-opening an open one is free", "[world][modem]") {
  world_fixture f;
  f.add(1, R"(
    local m = peripheral.wrap("top")
    for c = 1000, 1127 do m.open(c) end
    print(pcall(m.open, 1))
    print(pcall(m.open, 1127))
    m.close(1000)
    print(pcall(m.open, 1))
    print(m.isOpen(1), m.isOpen(1000))
    -- Another modem has its own 128.
    print(pcall(peripheral.call, "bottom", "open", 1))
  )",
        at(0, 0, 0), {wireless("top"), wireless("bottom")});
  f.run();
  CHECK(f.out(1) == "false\tToo many open channels\ntrue\ntrue\ntrue\tfalse\ntrue");
}

TEST_CASE("peripheral.getNames, getType, hasType, getMethods for modems and remote computers", "[world][modem]") {
  world_fixture f;
  f.add(2, "", at(0, 0, 5), {wired("back", "c")});
  f.add(1, R"(
    print(table.concat(peripheral.getNames(), ","))
    print(peripheral.getType("top"), peripheral.getType("left"))
    print(peripheral.getType("front"), peripheral.isPresent("front"), peripheral.isPresent("computer_2"))
    print(peripheral.hasType("left", "peripheral_hub"), peripheral.hasType("top", "peripheral_hub"),
          peripheral.hasType("top", "modem"), peripheral.hasType("front", "modem"))
    -- Sorted; the terminal is 51 columns wide, so long lists go one name a line.
    local function methods(name, separator)
      local list = peripheral.getMethods(name)
      table.sort(list)
      return table.concat(list, separator or ",")
    end
    print(methods("top"))
    print(methods("back"))
    print(methods("left", "\n"))
    print(peripheral.getMethods("front"))
    print(peripheral.getType("computer_2"), peripheral.hasType("computer_2", "computer"))
    print(methods("computer_2"))
    local w = peripheral.wrap("top")
    print(peripheral.getName(w), peripheral.getType(w), peripheral.wrap("front"))
    print(peripheral.find("modem") ~= nil, select("#", peripheral.find("modem")))
  )",
        at(0, 0, 0), {wireless("top"), ender("back"), wired("left", "c")});
  f.run();
  CHECK(f.out(1) ==
        "top,back,left,computer_2\n"
        "modem\tmodem\tperipheral_hub\n"
        "nil\tfalse\ttrue\n"
        "true\tfalse\ttrue\tnil\n"
        "close,closeAll,isOpen,isWireless,open,transmit\n"
        "close,closeAll,isOpen,isWireless,open,transmit\n"
        "callRemote\nclose\ncloseAll\ngetMethodsRemote\ngetNameLocal\ngetNamesRemote\ngetTypeRemote\n"
        "hasTypeRemote\nisOpen\nisPresentRemote\nisWireless\nopen\ntransmit\n"
        "nil\n"
        "computer\ttrue\n"
        "getID,getLabel,isOn,reboot,shutdown,turnOn\n"
        "top\tmodem\tnil\n"
        "true\t3");
}

TEST_CASE("transmit needs no open channel, the sending modem does not hear itself, a second modem does",
          "[world][modem]") {
  world_fixture f;
  f.add(1, listen_lua + R"(
    local top = peripheral.wrap("top")
    print(top.isOpen(7))
    peripheral.call("bottom", "open", 7)
    top.transmit(7, 9, "to myself")
    top.open(7)
    top.transmit(7, 10, "again")
    listen(1)
  )",
        at(0, 0, 0), {wireless("top"), wireless("bottom")});
  f.run();
  CHECK(f.out(1) ==
        "false\n"
        "bottom\t7\t9\tto myself\t0\tn=5\n"
        "bottom\t7\t10\tagain\t0\tn=5");
}

TEST_CASE("modem_message carries side, channel, reply channel, message and exact distance", "[world][modem]") {
  world_fixture f;
  f.add(2, receiver("left", 7), at(3, 4, 0), {wireless("left")});
  f.add(3, receiver("back", 7), at(1, 2, 2), {wireless("back")});
  f.add(4, receiver("top", 8), at(1, 0, 0), {wireless("top")});  // another channel
  f.add(5, receiver("top", 7), at(0.5, 0, 0), {wireless("top")});
  f.add(1, sender("right", "{1, 2}"), at(0, 0, 0), {wireless("right")});
  f.run();
  CHECK(f.out(1) == "sent");
  CHECK(f.out(2) == "left\t7\t9\ttable\t5\tn=5");
  CHECK(f.out(3) == "back\t7\t9\ttable\t3\tn=5");
  CHECK(f.out(4).empty());
  CHECK(f.out(5) == "top\t7\t9\ttable\t0.5\tn=5");
}

TEST_CASE("wireless range is 64 blocks: heard at 64, not at 64.5", "[world][modem][range]") {
  world_fixture f;
  f.add(2, receiver("top", 7), at(0, 0, 64), {wireless("top")});
  f.add(3, receiver("top", 7), at(64.5, 0, 0), {wireless("top")});
  f.add(4, receiver("top", 7), at(-40, 40, -24), {wireless("top")});
  f.add(1, sender("top"), at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) == "top\t7\t9\thi\t64\tn=5");
  CHECK(f.out(3).empty());
  CHECK(f.out(4) == "top\t7\t9\thi\t61.449165982949\tn=5");
}

TEST_CASE("altitude extends wireless range, symmetrically", "[world][modem][range]") {
  // At y=200 the range is 64 + 104 * 320/223 = 213.24 blocks.
  world_fixture f;
  f.add(2, receiver("top", 7), at(213, 200, 0), {wireless("top")});
  f.add(3, receiver("top", 7), at(213.5, 200, 0), {wireless("top")});
  f.add(4, receiver("top", 7), at(0, 64, 160), {wireless("top")});   // low, 210 away
  f.add(5, receiver("top", 7), at(0, 64, 300), {wireless("top")});   // low, too far
  f.add(1, sender("top"), at(0, 200, 0), {wireless("top")});
  // A low sender is heard by a high receiver 201 blocks away (the larger range counts).
  f.add(6, receiver("top", 8), at(500, 200, 0), {wireless("top")});
  f.add(7, "sleep(0) peripheral.call('top', 'transmit', 8, 9, 'up')", at(500, 64, 160), {wireless("top")});
  f.add(8, receiver("top", 8), at(500, 64, 100), {wireless("top")});  // low, 60 away
  f.add(9, receiver("top", 8), at(500, 64, 90), {wireless("top")});   // low, 70 away
  f.run();
  CHECK(f.out(2) == "top\t7\t9\thi\t213\tn=5");
  CHECK(f.out(3).empty());
  CHECK(f.out(4) == "top\t7\t9\thi\t209.99047597451\tn=5");
  CHECK(f.out(5).empty());
  CHECK(f.out(6) == "top\t8\t9\tup\t209.99047597451\tn=5");
  CHECK(f.out(8) == "top\t8\t9\tup\t60\tn=5");
  CHECK(f.out(9).empty());
}

TEST_CASE("dimensions: wireless stays home, ender crosses without a distance", "[world][modem][ender]") {
  world_fixture f;
  f.add(2, receiver("top", 7), at(1, 0, 0, "nether"), {wireless("top")});
  f.add(3, receiver("top", 7), at(1, 0, 0, "nether"), {ender("top")});
  f.add(4, receiver("top", 7), at(5000, 0, 0), {wireless("top")});
  f.add(5, receiver("top", 7), at(5000, 0, 0, "the_end"), {ender("top")});
  f.add(1, sender("top"), at(0, 0, 0), {wireless("top")});
  f.run();
  // A normal sender: only the ender receiver in another dimension hears it, with no distance.
  CHECK(f.out(2).empty());
  CHECK(f.out(3) == "top\t7\t9\thi\tnil\tn=4");
  CHECK(f.out(4).empty());
  CHECK(f.out(5) == "top\t7\t9\thi\tnil\tn=4");
}

TEST_CASE("an ender sender reaches everything, same dimension reports the real distance", "[world][modem][ender]") {
  world_fixture f;
  f.add(2, receiver("top", 7), at(1, 0, 0, "nether"), {wireless("top")});
  f.add(3, receiver("top", 7), at(3000, 0, 4000), {wireless("top")});
  f.add(4, receiver("top", 7), at(100, 0, 0), {ender("top")});
  f.add(5, receiver("top", 7), at(0, 0, 0), {wired("top", "c")});
  f.add(1, sender("back"), at(0, 0, 0), {ender("back")});
  f.run();
  CHECK(f.out(2) == "top\t7\t9\thi\tnil\tn=4");
  CHECK(f.out(3) == "top\t7\t9\thi\t5000\tn=5");
  CHECK(f.out(4) == "top\t7\t9\thi\t100\tn=5");
  CHECK(f.out(5).empty());
}

TEST_CASE("wired modems: the whole cable hears at any range, other cables and wireless do not",
          "[world][modem][wired]") {
  world_fixture f;
  f.add(2, receiver("back", 7), at(10000, 0, 0), {wired("back", "a")});
  f.add(3, receiver("back", 7), at(0, 3, 4), {wired("back", "a")});
  f.add(4, receiver("back", 7), at(1, 0, 0), {wired("back", "b")});
  f.add(5, receiver("top", 7), at(1, 0, 0), {wireless("top")});
  f.add(6, receiver("top", 7), at(1, 0, 0), {ender("top")});
  f.add(1, sender("left"), at(0, 0, 0), {wired("left", "a"), wireless("top")});
  f.run();
  CHECK(f.out(2) == "back\t7\t9\thi\t10000\tn=5");
  CHECK(f.out(3) == "back\t7\t9\thi\t5\tn=5");
  CHECK(f.out(4).empty());
  CHECK(f.out(5).empty());
  CHECK(f.out(6).empty());
}

TEST_CASE("wired remote peripherals: getNamesRemote, getTypeRemote, callRemote", "[world][modem][wired]") {
  world_fixture f;
  f.add_with(3, startup_program{"main.lua", {}, {}}, {{"main.lua", ""}}, at(0, 0, 9), {wired("top", "c")}, "third");
  f.add(2, "", at(0, 0, 5), {wired("back", "c")});
  f.add(4, "", at(0, 0, 1), {wired("back", "other")});
  f.add(1, R"(
    local m = peripheral.wrap("left")
    print(table.concat(m.getNamesRemote(), ","))
    print(m.getTypeRemote("computer_2"), m.getTypeRemote("computer_4"))
    print(m.isPresentRemote("computer_3"), m.isPresentRemote("computer_4"))
    print(m.hasTypeRemote("computer_2", "computer"), m.hasTypeRemote("computer_2", "modem"),
          m.hasTypeRemote("computer_9", "computer"))
    print(table.concat(m.getMethodsRemote("computer_2"), ","), m.getMethodsRemote("computer_9"))
    print(m.callRemote("computer_2", "getID"), m.callRemote("computer_3", "getLabel"),
          m.callRemote("computer_2", "getLabel"), m.callRemote("computer_3", "isOn"))
    print(pcall(m.callRemote, "computer_9", "getID"))
    print(pcall(m.callRemote, "computer_2", "explode"))
    print(pcall(m.getTypeRemote, 2))
    print(m.getNameLocal())
    print(peripheral.call("computer_3", "getID"), peripheral.wrap("computer_2").getID())
  )",
        at(0, 0, 0), {wired("left", "c")});
  f.run();
  CHECK(f.out(1) ==
        "computer_2,computer_3\n"
        "computer\tnil\n"
        "true\tfalse\n"
        "true\tfalse\tnil\n"
        "getID,getLabel,isOn,reboot,shutdown,turnOn\tnil\n"
        "2\tthird\tnil\ttrue\n"
        "false\tNo peripheral: computer_9\n"
        "false\tNo such method explode\n"
        "false\tbad argument #1 (string expected, got number)\n"
        "computer_1\n"
        "3\t2");
}

TEST_CASE("wired remote computers: turnOn, shutdown and reboot take effect on the next tick",
          "[world][modem][wired]") {
  world_fixture f;
  // Computer 2 prints its boot count each time it starts; its files persist across boots.
  f.add_with(2, startup_program{"main.lua", {}, {}},
             {{"main.lua", R"(
               local n = 1
               if fs.exists("boots") then local h = fs.open("boots", "r") n = tonumber(h.readAll()) + 1 h.close() end
               local h = fs.open("boots", "w") h.write(tostring(n)) h.close()
               print("boot " .. n .. " at " .. os.clock())
               while true do os.pullEvent() end
             )"}},
             at(0, 0, 5), {wired("back", "c")});
  f.add(1, R"(
    local remote = peripheral.wrap("computer_2")
    sleep(1)
    print(remote.shutdown(), remote.isOn())   -- not yet: on the next tick
    sleep(0.05)
    print(remote.isOn())
    remote.shutdown()                         -- already off: nothing happens
    sleep(0.05)
    remote.turnOn()
    sleep(0.05)
    print(remote.isOn())
    sleep(1)
    remote.reboot()
    sleep(1)
    print(remote.isOn(), remote.getID())
  )",
        at(0, 0, 0), {wired("left", "c")});
  f.run();
  CHECK(f.out(1) == "nil\ttrue\nfalse\ntrue\ntrue\t2");
  CHECK(f.out(2) == "boot 1 at 0\nboot 2 at 0\nboot 3 at 0");
  CHECK(f.sim().power_requests_dropped() == 0);
}

TEST_CASE("attaching a modem at runtime queues peripheral, detaching queues peripheral_detach",
          "[world][modem]") {
  world_fixture f;
  f.add(2, listen_lua + "peripheral.call('top', 'open', 7)\nlisten(10)", at(5, 0, 0), {wireless("top")});
  f.add(1, R"(
    print(peripheral.isPresent("right"), #peripheral.getNames())
    local e, side = os.pullEvent("peripheral")
    print(e, side, peripheral.getType(side), os.clock())
    peripheral.call(side, "transmit", 7, 7, "new modem")
    local e2, side2 = os.pullEvent("peripheral_detach")
    print(e2, side2, peripheral.isPresent(side2), os.clock())
    -- As in CC, calling a peripheral that is gone returns nothing.
    print(peripheral.call(side2, "transmit", 7, 7, "gone"))
  )",
        at(0, 0, 0));
  f.run_to(1);
  f.sim().attach_modem(1, wireless("right"));
  f.run_to(2);
  f.sim().detach_modem(1, side_of("right"));
  f.run();
  CHECK(f.out(1) ==
        "false\t0\n"
        "peripheral\tright\tmodem\t1\n"
        "peripheral_detach\tright\tfalse\t2\n"
        "nil");
  CHECK(f.out(2) == "top\t7\t7\tnew modem\t5\tn=5");
}

TEST_CASE("a computer moved out of range stops hearing, its modems move with it", "[world][modem][range]") {
  world_fixture f;
  f.add(2, listen_lua + "peripheral.call('top', 'open', 7)\nlisten(5)", at(10, 0, 0), {wireless("top")});
  f.add(1, R"(
    for i = 1, 3 do
      sleep(1)
      peripheral.call("top", "transmit", 7, 7, i)
    end
  )",
        at(0, 0, 0), {wireless("top")});
  f.run_to(1.5);
  f.sim().move_computer(2, at(100, 0, 0));
  f.run_to(2.5);
  f.sim().move_computer(2, at(0, 30, 40, "overworld"));
  f.run();
  CHECK(f.out(2) == "top\t7\t7\t1\t10\tn=5\ntop\t7\t7\t3\t50\tn=5");
}
