// Host-started chunks (the daemon's lua.eval): run as a program would, beside the top level.

#include <catch2/catch.hpp>

#include "computer/machine.hpp"
#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;

namespace {

// Starts `code` on computer 0 (which idles), runs the world, returns the outcome.
redrund::eval_outcome eval_on_idle_computer(const std::string& code, redrund::value_list args = {}) {
  sim_fixture f;
  auto& c = f.add(0, "while true do os.pullEvent('never') end");
  f.sim().run_ready();
  std::optional<redrund::eval_outcome> outcome;
  c.start_eval(code, args, [&](redrund::eval_outcome o) { outcome = std::move(o); });
  redrund::run_virtual(f.sim(), [&] { return outcome.has_value(); }, 20 * 60);
  REQUIRE(outcome.has_value());
  return *outcome;
}

}  // namespace

TEST_CASE("an eval returns its values as copies", "[eval]") {
  const auto out = eval_on_idle_computer("return 1 + 1, 'two', { x = 3 }, nil, os.getComputerID()");
  REQUIRE(out.ok);
  REQUIRE(out.values.items.size() == 5);
  CHECK(out.values.items[0].number == 2);
  CHECK(out.values.items[1].text == "two");
  CHECK(out.values.items[2].type == redrund::value::kind::table);
  CHECK(out.values.items[3].type == redrund::value::kind::nil);
  CHECK(out.values.items[4].number == 0);
}

TEST_CASE("an eval receives arguments and may yield for events and timers", "[eval]") {
  redrund::value_list args;
  args.items.push_back(redrund::value::of_number(2.5));
  const auto out = eval_on_idle_computer("local wait = ... local t = os.clock() sleep(wait) return os.clock() - t",
                                         args);
  REQUIRE(out.ok);
  CHECK(out.values.items.at(0).number == Approx(2.5));
}

TEST_CASE("an eval's error comes back as the Lua error", "[eval]") {
  const auto out = eval_on_idle_computer("local x = nil\nreturn x.y");
  CHECK_FALSE(out.ok);
  CHECK(out.error == "eval:2: attempt to index a nil value (local 'x')");
  const auto syntax = eval_on_idle_computer("return +");
  CHECK_FALSE(syntax.ok);
  CHECK(syntax.error.find("eval:1:") == 0);
}

TEST_CASE("an eval has a program's environment with require", "[eval]") {
  const auto out = eval_on_idle_computer("x_global = 1 return type(require), rawget(_G, 'x_global'), textutils.serialize({1})");
  REQUIRE(out.ok);
  CHECK(out.values.items.at(0).text == "function");
  CHECK(out.values.items.at(1).type == redrund::value::kind::nil);  // its globals are its own
  CHECK(out.values.items.at(2).text == "{\n  1,\n}");
}

TEST_CASE("pending evals end with an error when the computer turns off", "[eval]") {
  sim_fixture f;
  auto& c = f.add(0, "sleep(1) os.shutdown()");
  std::optional<redrund::eval_outcome> outcome;
  c.start_eval("os.pullEvent('never')", {}, [&](redrund::eval_outcome o) { outcome = std::move(o); });
  f.run();
  REQUIRE(outcome.has_value());
  CHECK_FALSE(outcome->ok);
  CHECK(outcome->error == "computer is off");
}
