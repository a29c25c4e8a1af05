// What a modem message's payload looks like on arrival (cc-tweaked-behaviour.md §0, §1.9):
// a deep copy taken at transmit time, without functions or metatables, keeping shared
// sub-tables and cycles, byte-exact strings, a fresh table for every receiver.

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

// Lua: waits for one modem_message and returns its payload.
const std::string receive_one_lua = R"(
peripheral.call("top", "open", 7)
local function receive_one()
  local _, _, _, _, message = os.pullEvent("modem_message")
  return message
end
)";

}  // namespace

TEST_CASE("payload: functions and metatables are dropped, shared tables and cycles kept", "[world][payload]") {
  world_fixture f;
  f.add(2, receive_one_lua + R"(
    local m = receive_one()
    print(type(m), getmetatable(m), m.f, m.co, m.missing)
    local keys = {}
    for k in pairs(m) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    print(table.concat(keys, ","))
    print(m.a == m.b, m.a.n, m.c.self == m.c, m.x.back == m, m[true])
    print(m.nested.deep.deeper.x, #m.list, m.list[3], m[1], m[2], m[2.5])
    print(type(receive_one()), type(receive_one()))
  )",
        at(1, 0, 0), {wireless("top")});
  f.add(1, R"(
    local shared = { n = 1 }
    local cyc = {}
    cyc.self = cyc
    local t = {
      f = print, co = coroutine.create(print), a = shared, b = shared, c = cyc,
      list = { 1, 2, 3 }, nested = { deep = { deeper = { x = "y" } } },
      [print] = "function key", [true] = false, [2.5] = "float key",
    }
    t.x = { back = t }
    t[1], t[2] = "one", "two"
    setmetatable(t, { __index = function() return 42 end, __pairs = function() error("not used") end })
    peripheral.call("top", "transmit", 7, 7, t)
    peripheral.call("top", "transmit", 7, 7, print)
    peripheral.call("top", "transmit", 7, 7, coroutine.create(print))
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) ==
        "table\tnil\tnil\tnil\tnil\n"
        "1,2,2.5,a,b,c,list,nested,true,x\n"
        "true\t1\ttrue\ttrue\tfalse\n"
        "y\t3\t3\tone\ttwo\tfloat key\n"
        "nil\tnil");
}

TEST_CASE("payload: binary strings with all 256 byte values arrive byte-exact", "[world][payload]") {
  const std::string all_bytes_lua = R"(
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    local all = table.concat(bytes)
  )";
  world_fixture f;
  f.add(2, receive_one_lua + all_bytes_lua + R"(
    local s = receive_one()
    print(type(s), #s, s == all)
    local t = receive_one()
    print(t[1] == all, t[all], t[all .. "\0"], #t[1])
    local ok = true
    for i = 0, 255 do ok = ok and s:byte(i + 1) == i end
    print(ok)
  )",
        at(1, 0, 0), {wireless("top")});
  f.add(1, all_bytes_lua + R"(
    peripheral.call("top", "transmit", 7, 7, all)
    peripheral.call("top", "transmit", 7, 7, { all, [all] = "as key", [all .. "\0"] = 0 })
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) == "string\t256\ttrue\ntrue\tas key\t0\t256\ntrue");
}

TEST_CASE("payload: each receiver gets its own table, later changes by the sender are not seen",
          "[world][payload]") {
  world_fixture f;
  // Computer 2 hears one packet on two modems: two events, two separate tables.
  f.add(2, R"(
    peripheral.call("top", "open", 7)
    peripheral.call("bottom", "open", 7)
    local _, side1, _, _, m1 = os.pullEvent("modem_message")
    local _, side2, _, _, m2 = os.pullEvent("modem_message")
    print(side1, side2, m1 ~= m2, m1.sub ~= m2.sub)
    m1.x, m1.sub.y = 99, 99
    print(m1.x, m2.x, m1.sub.y, m2.sub.y)
  )",
        at(1, 0, 0), {wireless("top"), wireless("bottom")});
  // Computer 1 hears its own packet on its second modem, then changes the original.
  f.add(1, R"(
    peripheral.call("bottom", "open", 7)
    local t = { x = 1, sub = { y = 1 } }
    peripheral.call("top", "transmit", 7, 7, t)
    t.x, t.sub.y = 2, 2
    local _, _, _, _, m = os.pullEvent("modem_message")
    print(m ~= t, m.x, m.sub.y)
  )",
        at(0, 0, 0), {wireless("top"), wireless("bottom")});
  f.run();
  CHECK(f.out(2) == "bottom\ttop\ttrue\ttrue\n99\t1\t99\t1");
  CHECK(f.out(1) == "true\t1\t1");
}

TEST_CASE("payload: NaN, infinities and extreme numbers survive", "[world][payload]") {
  world_fixture f;
  f.add(2, receive_one_lua + R"(
    local m = receive_one()
    print(m[1] ~= m[1], m[2] == math.huge, m[3] == -math.huge, m[4] == 2^53, m[5] == 1e308,
          m[6] == 5e-324, m[7], m[8], m[9])
    local n = receive_one()
    print(n ~= n, receive_one(), receive_one())
  )",
        at(1, 0, 0), {wireless("top")});
  f.add(1, R"(
    peripheral.call("top", "transmit", 7, 7,
      { 0/0, math.huge, -math.huge, 2^53, 1e308, 5e-324, 3, 2.5, -7 })
    peripheral.call("top", "transmit", 7, 7, 0/0)
    peripheral.call("top", "transmit", 7, 7, -math.huge)
    peripheral.call("top", "transmit", 7, 7, false)
  )",
        at(0, 0, 0), {wireless("top")});
  f.run();
  CHECK(f.out(2) == "true\ttrue\ttrue\ttrue\ttrue\ttrue\t3\t2.5\t-7\ntrue\t-inf\tfalse");
}
