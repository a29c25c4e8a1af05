// GPS on real computers (cc-tweaked-behaviour.md §3): `gps host X Y Z` computers started
// from a command line, and clients whose gps.locate works out where they are.

#include <array>

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

using point = std::array<double, 3>;

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// Adds a `gps host X Y Z` computer at that very position.
void add_host(world_fixture& f, std::uint32_t id, point p) {
  f.add_command(id, "gps host " + number(p[0]) + " " + number(p[1]) + " " + number(p[2]), at(p[0], p[1], p[2]),
                {wireless("top")});
}

// Adds one host per position, with consecutive ids from `first_id`.
void add_hosts(world_fixture& f, std::initializer_list<point> positions, std::uint32_t first_id = 1) {
  for (const auto& p : positions) add_host(f, first_id++, p);
}

const std::string locate_lua = R"(
  sleep(0.5)
  print(gps.locate(2))
  print(os.clock())
)";

}  // namespace

TEST_CASE("gps: four non-coplanar hosts give a client its exact position", "[world][gps]") {
  world_fixture f;
  add_hosts(f, {{5, 5, 5}, {10, 5, 5}, {5, 10, 5}, {5, 5, 10}});
  f.add(10, locate_lua, at(12, 23, 52), {wireless("back")});
  f.add(11, locate_lua, at(-37, 30, -14), {wireless("left")});
  f.run();
  // The captured output is the stream of printed lines: the count overwritten in place on
  // the screen shows up once per request.
  CHECK(f.out(1) == "Position is 5,5,5\nOpening channel on modem top\n1 GPS requests served\n2 GPS requests served");
  // The fix is found as soon as the 4th reply arrives: in the tick of the request.
  CHECK(f.out(10) == "12\t23\t52\n0.5");
  CHECK(f.out(11) == "-37\t30\t-14\n0.5");
}

TEST_CASE("gps: a high host is heard from beyond 64 blocks and helps the fix", "[world][gps]") {
  world_fixture f;
  add_hosts(f, {{100, 70, 100}, {140, 70, 100}, {100, 90, 120}});
  add_host(f, 4, {130, 110, 130});  // 67 blocks away, but its range at y=110 is 84
  f.add(10, locate_lua, at(117, 64, 83), {wireless("top")});
  f.run();
  CHECK(f.out(10) == "117\t64\t83\n0.5");
}

TEST_CASE("gps: locate with debug output, and a client standing on a host", "[world][gps]") {
  world_fixture f;
  add_hosts(f, {{5, 5, 5}, {10, 5, 5}, {5, 10, 5}, {5, 5, 10}});
  f.add(10, "sleep(0.5) print(gps.locate(2, true))", at(5, 10, 5), {wireless("top")});
  f.add_command(11, "gps locate", at(9, 5, 5), {wireless("top")});
  f.run();
  CHECK(f.out(10) ==
        "Finding position...\n"
        "5 metres from 5,5,5\n"
        "7.0710678118655 metres from 10,5,5\n"
        "0 metres from 5,10,5\n"
        "Position is 5,10,5\n"
        "5\t10\t5");
  CHECK(f.out(11) ==
        "Finding position...\n"
        "4 metres from 5,5,5\n"
        "1 metres from 10,5,5\n"
        "6.4031242374328 metres from 5,10,5\n"
        "Position is 9,5,5");  // in the plane of the first three hosts: one solution
}

TEST_CASE("gps: three coplanar hosts leave two mirror positions, so nil", "[world][gps]") {
  world_fixture f;
  add_hosts(f, {{0, 64, 0}, {20, 64, 0}, {0, 64, 20}});
  f.add(10, locate_lua, at(5, 70, 5), {wireless("top")});
  f.add(11, "sleep(0.5) print(gps.locate(1, true))", at(5, 70, 5), {wireless("top")});
  f.run();
  CHECK(f.out(10) == "nil\n2.5");
  // Both clients ping in the same tick, and replies to the other's ping count too.
  CHECK(f.out(11) ==
        "Finding position...\n"
        "9.2736184954957 metres from 0,64,0\n"
        "16.911534525288 metres from 20,64,0\n"
        "16.911534525288 metres from 0,64,20\n"
        "9.2736184954957 metres from 0,64,0\n"
        "16.911534525288 metres from 20,64,0\n"
        "16.911534525288 metres from 0,64,20\n"
        "Ambiguous position\n"
        "Could be 5,58,5 or 5,70,5\n"
        "nil");
}

TEST_CASE("gps: a duplicated host does not count twice, the fix still comes", "[world][gps]") {
  world_fixture f;
  add_hosts(f, {{0, 64, 0}, {0, 64, 0}, {20, 64, 0}, {0, 64, 20}, {0, 84, 0}});
  f.add(10, locate_lua, at(7, 71, 9), {wireless("top")});
  f.run();
  CHECK(f.out(10) == "7\t71\t9\n0.5");
}

TEST_CASE("gps: hosts out of range, or on one line, give nil after the timeout", "[world][gps]") {
  world_fixture f;
  add_hosts(f, {{1000, 64, 0}, {1020, 64, 0}, {1000, 84, 0}, {1000, 64, 20}});
  // Collinear hosts near the second client.
  add_hosts(f, {{-500, 64, 0}, {-490, 64, 0}, {-480, 64, 0}, {-470, 64, 0}}, 5);
  f.add(10, locate_lua, at(0, 64, 0), {wireless("top")});
  f.add(11, locate_lua, at(-485, 70, 5), {wireless("top")});
  f.add(12, "print(gps.locate(1, true))", at(0, 0, 0));
  f.run();
  CHECK(f.out(10) == "nil\n2.5");
  CHECK(f.out(11) == "nil\n2.5");
  CHECK(f.out(12) == "No wireless modem attached\nnil");
}
