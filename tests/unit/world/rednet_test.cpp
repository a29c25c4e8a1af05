// rednet between real computers (cc-tweaked-behaviour.md §2): send/receive, broadcast,
// protocol filters, relays through `repeat` computers, duplicate suppression, DNS lookups
// across a repeater and loopback sends.

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

// Lua: counts what arrives within `seconds`: modem_message events on `channel` and
// rednet_message events; prints "modem=N rednet=M" and each rednet message.
const std::string count_lua = R"(
local function count(seconds, channel)
  local timer, modem, got = os.startTimer(seconds), 0, {}
  while true do
    local e, a, b, c = os.pullEvent()
    if e == "modem_message" and b == channel then
      modem = modem + 1
    elseif e == "rednet_message" then
      got[#got + 1] = tostring(a) .. ":" .. tostring(b) .. ":" .. tostring(c)
    elseif e == "timer" and a == timer then
      break
    end
  end
  print("modem=" .. modem .. " rednet=" .. #got)
  for _, line in ipairs(got) do print(line) end
end
)";

// Computer 70000 at the origin pings computer 24283947 at (x, 0, 0) (ids above 65500, so the
// id channels wrap), which answers "pong" and then runs `answerer_tail`.
void add_ping_pong(world_fixture& f, double answerer_x, const std::string& answerer_tail) {
  f.add(24283947, R"(
    rednet.open("top")
    local id, message, protocol = rednet.receive(5)
    print(id, message, protocol)
    rednet.send(id, "pong", "p")
  )" + answerer_tail,
        at(answerer_x, 0, 0), {wireless("top")});
  f.add(70000, R"(
    rednet.open("top")
    sleep(0.5)
    rednet.send(24283947, "ping", "p")
    print(rednet.receive(5))
  )",
        at(0, 0, 0), {wireless("top")});
}

}  // namespace

TEST_CASE("rednet: send and receive between two computers", "[world][rednet]") {
  world_fixture f;
  f.add(1, R"(
    print(rednet.isOpen("top"), rednet.isOpen())
    rednet.open("top")
    print(rednet.isOpen("top"), rednet.isOpen(), peripheral.call("top", "isOpen", 1),
          peripheral.call("top", "isOpen", 65535), peripheral.call("top", "isOpen", 65533))
    local id, message, protocol = rednet.receive(5)
    print(id, message, protocol, os.clock())
    id, message = rednet.receive()
    print(id, type(message), message.n, message.list[2])
    rednet.send(id, "thanks")
  )",
        at(0, 0, 0), {wireless("top")});
  f.add(2, R"(
    print(rednet.send(1, "too early"))
    rednet.open("back")
    sleep(1)
    print(rednet.send(1, "hello", "chat"))
    print(rednet.send(1, { n = 5, list = { "a", "b" } }))
    print(rednet.receive(5))
    print(pcall(rednet.open, "left"))
    print(pcall(rednet.send, "1", "x"))
  )",
        at(10, 0, 0), {wireless("back")});
  f.run();
  CHECK(f.out(1) ==
        "false\tfalse\n"
        "true\ttrue\ttrue\ttrue\tfalse\n"
        "2\thello\tchat\t1\n"
        "2\ttable\t5\tb");
  CHECK(f.out(2) ==
        "false\n"
        "true\n"
        "true\n"
        "1\tthanks\tnil\n"
        "false\tNo such modem: left\n"
        "false\tbad argument #1 (number expected, got string)");
}

TEST_CASE("rednet: broadcast reaches every open computer in range, not the sender", "[world][rednet]") {
  world_fixture f;
  f.add(1, "rednet.open('top') print(rednet.receive(3))", at(0, 0, 0), {wireless("top")});
  f.add(3, "rednet.open('top') print(rednet.receive(3))", at(20, 0, 0), {wireless("top")});
  f.add(4, "print(rednet.receive(3))", at(20, 0, 0), {wireless("top")});  // rednet not open
  f.add(5, "rednet.open('top') print(rednet.receive(3))", at(100, 0, 0), {wireless("top")});
  f.add(2, R"(
    rednet.open("top")
    sleep(0.5)
    print("broadcast", rednet.broadcast("to all", "news"))
    print(rednet.receive(2))
  )",
        at(10, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(1) == "2\tto all\tnews");
  CHECK(f.out(3) == "2\tto all\tnews");
  CHECK(f.out(4) == "nil");
  CHECK(f.out(5) == "nil");
  CHECK(f.out(2) == "broadcast\nnil");
}

TEST_CASE("rednet: receive filters by protocol, dropping what does not match", "[world][rednet]") {
  world_fixture f;
  f.add(1, R"(
    rednet.open("top")
    print(rednet.receive("y", 5))
    print(rednet.receive(5))
    print(rednet.receive("never", 1))
  )",
        at(0, 0, 0), {wireless("top")});
  f.add(2, R"(
    rednet.open("top")
    sleep(0.1)
    rednet.send(1, "a", "x")
    rednet.send(1, "b", "y")
    rednet.send(1, "c")
  )",
        at(1, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(1) == "2\tb\ty\n2\tc\tnil\nnil");
}

TEST_CASE("rednet: a repeater relays between computers out of each other's range", "[world][rednet][repeat]") {
  world_fixture f;
  f.add_command(5, "repeat", at(60, 0, 0), {wireless("top")});
  add_ping_pong(f, 120, "");
  f.run();
  CHECK(f.out(24283947) == "70000\tping\tp");
  CHECK(f.out(70000) == "24283947\tpong\tp");
  CHECK(f.out(5) == "1 modem found.\n0 messages repeated.\n1 message repeated.\n2 messages repeated.");
}

TEST_CASE("rednet: a chain of two repeaters relays both ways", "[world][rednet][repeat]") {
  world_fixture f;
  f.add_command(5, "repeat", at(60, 0, 0), {wireless("top")});
  f.add_command(6, "repeat", at(120, 0, 0), {wireless("top")});
  add_ping_pong(f, 180, "print(rednet.receive(2))");
  f.run();
  CHECK(f.out(24283947) == "70000\tping\tp\nnil");
  CHECK(f.out(70000) == "24283947\tpong\tp");
  CHECK(f.out(5) == "1 modem found.\n0 messages repeated.\n1 message repeated.\n2 messages repeated.");
  CHECK(f.out(6) == "1 modem found.\n0 messages repeated.\n1 message repeated.\n2 messages repeated.");
}

TEST_CASE("rednet: two parallel repeaters deliver duplicates, the receiver keeps one", "[world][rednet][repeat]") {
  world_fixture f;
  f.add_command(5, "repeat", at(60, 0, 10), {wireless("top")});
  f.add_command(6, "repeat", at(60, 0, -10), {wireless("top")});
  f.add(2, count_lua + "rednet.open('top') count(3, 2)", at(120, 0, 0), {wireless("top")});
  // The sender hears its own broadcast come back from both repeaters, and drops it.
  f.add(1, count_lua + R"(
    rednet.open("top")
    sleep(0.5)
    rednet.send(2, "once", "p")
    rednet.broadcast("all")
    count(3, 65535)
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) == "modem=2 rednet=2\n1:once:p\n1:all:nil");
  CHECK(f.out(1) == "modem=2 rednet=0");
  CHECK(f.out(5) == "1 modem found.\n0 messages repeated.\n1 message repeated.\n2 messages repeated.");
  CHECK(f.out(6) == "1 modem found.\n0 messages repeated.\n1 message repeated.\n2 messages repeated.");
}

TEST_CASE("rednet: host and lookup across a repeater", "[world][rednet][dns]") {
  world_fixture f;
  f.add_command(5, "repeat", at(60, 0, 0), {wireless("top")});
  f.add(3, R"(
    rednet.open("top")
    rednet.host("chat", "server")
    print("hosting", os.clock())
    print(rednet.lookup("chat", "localhost"), rednet.lookup("chat", "server"), os.clock())
  )",
        at(120, 0, 0), {wireless("top")});
  f.add(1, R"(
    print(rednet.lookup("chat", "server"), os.clock())
    sleep(3)
    rednet.open("top")
    print(rednet.lookup("chat", "server"), os.clock())
    print(rednet.lookup("chat"), os.clock())
    print(rednet.lookup("chat", "other"), os.clock())
    print("none:", rednet.lookup("nothing"))
  )",
        at(0, 0, 0), {wireless("top")});
  f.add(4, R"(
    rednet.open("top")
    sleep(3)
    print(pcall(rednet.host, "chat", "server"))
    print(pcall(rednet.host, "chat", "localhost"))
  )",
        at(0, 0, 10), {wireless("top")});
  f.run();
  CHECK(f.out(3) == "hosting\t2\n3\t3\t2");
  CHECK(f.out(1) == "nil\t0\n3\t3\n3\t5\nnil\t7\nnone:");
  CHECK(f.out(4) == "false\tHostname in use\nfalse\tReserved hostname");
}

TEST_CASE("rednet: sending to yourself is a loopback, with or without modems", "[world][rednet]") {
  world_fixture f;
  f.add(2, "peripheral.call('top', 'open', 1) peripheral.call('top', 'open', 65533)\n"
           "print(os.pullEvent('modem_message'))",
        at(1, 0, 0), {wireless("top")});
  f.add(1, R"(
    print(rednet.send(1, "me", "p"))
    print(rednet.receive(1))
    rednet.open("top")
    print(rednet.send(os.getComputerID(), { "table" }))
    local id, message = rednet.receive(1)
    print(id, message[1])
  )",
        at(0, 0, 0), {wireless("top")});
  f.run(60);
  CHECK(f.out(1) == "true\n1\tme\tp\ntrue\n1\ttable");
  CHECK(f.out(2).empty());
}

namespace {

// A busy network: two repeaters, a DNS host, clients that send, broadcast and look up, with
// random payloads and 20% loss. Returns every line printed, tagged with its computer.
std::string busy_network_trace(std::uint64_t seed) {
  fault_plan faults;
  faults.loss = 0.2;
  world_fixture f(world_with(seed, faults));
  f.add_command(5, "repeat", at(60, 0, 0), {wireless("top")});
  f.add_command(6, "repeat", at(120, 0, 0), {wireless("top")});
  f.add(3, R"(
    rednet.open("top")
    rednet.host("echo", "server")
    print("hosting", os.clock())
    while os.clock() < 20 do
      local id, message = rednet.receive("echo", 2)
      if id then rednet.send(id, message * 2, "echo") print("echoed", id, message) end
    end
  )",
        at(180, 0, 0), {wireless("top")});
  for (std::uint32_t id : {1u, 2u, 70000u}) {
    f.add(id, R"(
      rednet.open("top")
      sleep(3 + math.random())
      local server = rednet.lookup("echo", "server")
      print("server", server, os.clock())
      for i = 1, 5 do
        local n = math.random(1, 1000)
        if server then rednet.send(server, n, "echo") end
        rednet.broadcast(os.getComputerID() .. ":" .. n)
        local id, reply = rednet.receive("echo", 1)
        print(i, n, id, reply, os.clock())
      end
    )",
          at(id == 70000u ? 10 : id * 5.0, 0, 0), {wireless("top")});
  }
  f.run(60);
  return f.trace();
}

}  // namespace

TEST_CASE("determinism: a multi-computer rednet scenario runs the same twice", "[world][determinism]") {
  const std::string first = busy_network_trace(11);
  CHECK(first.find("hosting") != std::string::npos);
  CHECK(first.find("echoed") != std::string::npos);
  CHECK(first == busy_network_trace(11));
  CHECK(first != busy_network_trace(12));
}
