// Pure unit tests of the world's Lua-free parts: the range rule, the network's reachability
// and channel bookkeeping, and the fault injector.

#include <algorithm>
#include <cstdio>

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"
#include "world/faults.hpp"
#include "world/network.hpp"
#include "world/radio.hpp"

using namespace redrund;
using redrund::testing::at;
using redrund::testing::ender;
using redrund::testing::wired;
using redrund::testing::wireless;

namespace {

modem_key key(std::uint32_t computer, std::string_view side) { return {computer, testing::side_of(side)}; }

// The receivers of one route as "computer/side@distance" (distance "-" when absent).
std::string describe(const std::vector<delivery>& route) {
  std::string out;
  for (const delivery& d : route) {
    if (!out.empty()) out += " ";
    out += std::to_string(d.receiver.computer) + "/" + peripheral_sides[d.receiver.side] + "@";
    if (d.distance) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%g", *d.distance);
      out += buffer;
    } else {
      out += "-";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("wireless range is 64 up to y=96, then grows linearly to 384 at the top", "[world][radio]") {
  const radio_config radio;
  CHECK(wireless_range(radio, -64) == 64);
  CHECK(wireless_range(radio, 0) == 64);
  CHECK(wireless_range(radio, 96) == 64);
  CHECK(wireless_range(radio, 200) == Approx(64 + 104.0 * 320 / 223));
  CHECK(wireless_range(radio, 200) == Approx(213.237).epsilon(1e-5));
  CHECK(wireless_range(radio, 319) == Approx(384));
  radio_config flat;
  flat.max_range_blocks = 64;
  CHECK(wireless_range(flat, 300) == 64);
}

TEST_CASE("network: channels are per modem, capped at 128, re-open and close are no-ops", "[world][network]") {
  network net{radio_config{}};
  net.place(1, at(0, 0, 0));
  net.attach(1, wireless("top"));
  net.attach(1, wireless("bottom"));
  CHECK(net.open(key(1, "left"), 1) == network::open_result::no_modem);
  for (std::uint16_t c = 0; c < 128; ++c) REQUIRE(net.open(key(1, "top"), c) == network::open_result::ok);
  CHECK(net.open(key(1, "top"), 128) == network::open_result::too_many);
  CHECK(net.open(key(1, "top"), 5) == network::open_result::ok);  // already open
  CHECK(net.open(key(1, "bottom"), 128) == network::open_result::ok);
  net.close(key(1, "top"), 1000);
  net.close(key(1, "top"), 0);
  net.close(key(1, "top"), 0);
  CHECK_FALSE(net.is_open(key(1, "top"), 0));
  CHECK(net.open(key(1, "top"), 128) == network::open_result::ok);
  net.close_all(key(1, "top"));
  CHECK_FALSE(net.is_open(key(1, "top"), 128));
  CHECK(net.is_open(key(1, "bottom"), 128));
}

TEST_CASE("network: wireless range, symmetry at altitude, no self-hearing", "[world][network]") {
  network net{radio_config{}};
  net.place(1, at(0, 0, 0));
  net.place(2, at(64, 0, 0));
  net.place(3, at(64.5, 0, 0));
  net.place(4, at(0, 0, 0, "nether"));
  net.attach(1, wireless("top"));
  net.attach(1, wireless("bottom"));
  for (std::uint32_t c : {2u, 3u, 4u}) net.attach(c, wireless("back"));
  for (std::uint32_t c : {1u, 2u, 3u, 4u})
    for (const auto& m : net.modems_of(c)) net.open({c, m.side}, 9);
  CHECK(describe(net.route(key(1, "top"), 9)) == "1/bottom@0 2/back@64");
  CHECK(describe(net.route(key(1, "top"), 10)) == "");

  // A modem high up reaches far, and is heard as far by low modems (the larger range wins).
  net.place(5, at(0, 200, 0));
  net.place(6, at(213, 200, 0));
  net.place(7, at(214, 200, 0));
  net.place(8, at(150, 64, 0));
  for (std::uint32_t c : {5u, 6u, 7u, 8u}) {
    net.attach(c, wireless("top"));
    net.open(key(c, "top"), 3);
  }
  CHECK(describe(net.route(key(5, "top"), 3)) == "6/top@213 8/top@202.475");
  // From the low modem: every high modem hears it, since their own range is what counts.
  CHECK(describe(net.route(key(8, "top"), 3)) == "5/top@202.475 6/top@149.883 7/top@150.306");
}

TEST_CASE("network: ender modems cross dimensions without a distance", "[world][network]") {
  network net{radio_config{}};
  net.place(1, at(0, 0, 0));
  net.place(2, at(1000, 0, 0));
  net.place(3, at(5, 0, 0, "nether"));
  net.place(4, at(5, 0, 0, "nether"));
  net.attach(1, ender("top"));
  net.attach(2, wireless("top"));
  net.attach(3, wireless("top"));
  net.attach(4, ender("top"));
  for (std::uint32_t c = 1; c <= 4; ++c) net.open(key(c, "top"), 1);
  CHECK(describe(net.route(key(1, "top"), 1)) == "2/top@1000 3/top@- 4/top@-");
  // A normal modem: only the ender receiver in the other dimension hears it.
  CHECK(describe(net.route(key(2, "top"), 1)) == "1/top@1000 4/top@-");
  CHECK(describe(net.route(key(3, "top"), 1)) == "1/top@- 4/top@0");
}

TEST_CASE("network: wired modems hear only their own cable, at any range", "[world][network]") {
  network net{radio_config{}};
  net.place(1, at(0, 0, 0));
  net.place(2, at(5000, 0, 0));
  net.place(3, at(1, 0, 0));
  net.place(4, at(2, 0, 0));
  net.attach(1, wired("back", "a"));
  net.attach(1, wireless("top"));
  net.attach(2, wired("back", "a"));
  net.attach(3, wired("back", "b"));
  net.attach(4, wireless("top"));
  for (std::uint32_t c = 1; c <= 4; ++c)
    for (const auto& m : net.modems_of(c)) net.open({c, m.side}, 1);
  CHECK(describe(net.route(key(1, "back"), 1)) == "2/back@5000");
  CHECK(describe(net.route(key(1, "top"), 1)) == "4/top@2");
  CHECK(net.cable_peers(key(1, "back")).size() == 1);
  CHECK(net.cable_peers(key(1, "top")).empty());
}

TEST_CASE("network: detaching a modem closes its channels", "[world][network]") {
  network net{radio_config{}};
  net.place(1, at(0, 0, 0));
  net.place(2, at(1, 0, 0));
  net.attach(1, wireless("top"));
  net.attach(2, wireless("top"));
  net.open(key(2, "top"), 4);
  net.detach(2, testing::side_of("top"));
  CHECK_FALSE(net.is_open(key(2, "top"), 4));
  CHECK(net.route(key(1, "top"), 4).empty());
  net.attach(2, wireless("top"));
  CHECK_FALSE(net.is_open(key(2, "top"), 4));
  net.remove_computer(2);
  CHECK(net.modems_of(2).empty());
  CHECK_FALSE(net.placement_of(2).has_value());
}

TEST_CASE("fault injector: partitions hold from from_tick until (not including) to_tick", "[world][faults]") {
  fault_plan plan;
  plan.partitions.push_back({{{1, 2}, {3}}, 10, 20});
  fault_injector faults(plan, 1);
  CHECK(faults.judge(1, 3, 9).deliver);
  CHECK_FALSE(faults.judge(1, 3, 10).deliver);
  CHECK_FALSE(faults.judge(3, 2, 19).deliver);
  CHECK(faults.judge(1, 3, 20).deliver);
  CHECK(faults.judge(1, 2, 15).deliver);  // same group
  CHECK(faults.judge(1, 4, 15).deliver);  // 4 is in no group
  CHECK(faults.stats().partitioned == 2);
}

TEST_CASE("fault injector: loss, per-link loss and delay", "[world][faults]") {
  fault_plan plan;
  plan.loss = 1.0;
  plan.delay_ticks = 3;
  plan.links.push_back({2, 1, 0.0});
  fault_injector faults(plan, 1);
  for (int i = 0; i < 50; ++i) CHECK_FALSE(faults.judge(1, 3, 0).deliver);
  const auto kept = faults.judge(1, 2, 0);
  CHECK(kept.deliver);
  CHECK(kept.delay_ticks == 3);
  CHECK(faults.judge(2, 1, 0).deliver);
  CHECK(faults.stats().lost == 50);
  CHECK(faults.stats().delayed == 2);
}

TEST_CASE("fault injector: the same seed gives the same losses, another seed others", "[world][faults]") {
  const auto pattern = [](std::uint64_t seed) {
    fault_plan plan;
    plan.loss = 0.3;
    fault_injector faults(plan, seed);
    std::string bits;
    for (int i = 0; i < 200; ++i) bits += faults.judge(1, 2, 0).deliver ? '1' : '0';
    return bits;
  };
  const std::string a = pattern(42);
  CHECK(a == pattern(42));
  CHECK(a != pattern(43));
  const auto delivered = std::count(a.begin(), a.end(), '1');
  CHECK(delivered > 110);
  CHECK(delivered < 170);
}
