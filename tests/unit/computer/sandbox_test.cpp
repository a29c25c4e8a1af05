// Escape attempts: each must end as a Lua error or a nil, never a host effect.

#include <catch2/catch.hpp>

#include <iterator>
#include <regex>

#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;

namespace {

// Runs `attempt` as a chunk under pcall and prints "blocked" unless it returned "escaped".
std::string try_escape(const std::string& attempt) {
  sim_fixture f;
  return f.run_program("local ok, r = pcall(function() " + attempt +
                       " end) print(ok and r == 'escaped' and 'escaped' or 'blocked')");
}

}  // namespace

TEST_CASE("host libraries and functions are absent", "[sandbox]") {
  const char* attempts[] = {
      "return io.popen and 'escaped'",
      "return io.open('/etc/passwd') and 'escaped'",
      "return os.execute and 'escaped'",
      "return os.exit and 'escaped'",
      "return os.getenv and 'escaped'",
      "return os.remove and 'escaped'",
      "return os.rename and 'escaped'",
      "return os.tmpname and 'escaped'",
      "return collectgarbage and 'escaped'",
      "return debug.sethook and 'escaped'",
      "return debug.getregistry and 'escaped'",
      "return package and package.loadlib and 'escaped'",
      "return package and package.cpath and 'escaped'",
      "return require and require('io') and 'escaped'",
      "return debug.getupvalue(load, 1) and 'escaped'",
      "return fs.open('/etc/passwd', 'r') and 'escaped'",
      "return fs.exists('../../../../etc/passwd') and 'escaped'",
      "return dofile('/etc/passwd') and 'escaped'",
  };
  for (const char* attempt : attempts) {
    INFO(attempt);
    CHECK(try_escape(attempt) == "blocked");
  }
}

TEST_CASE("binary chunks are refused with CC's messages", "[sandbox]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    print(pcall(string.dump, print))
    print(pcall(string.dump, function() end))
    print(load("\27Lua\84\0"))
    local pieces = { "\27Lua", "\84\0" }
    print(load(function() return table.remove(pieces, 1) end))
    print(load("return 1", "x", "b")())
    local env = { y = 5 }
    print(load("return y", "=c", "t", env)())
  )");
  CHECK(out ==
        "false\tunable to dump given function\n"
        "false\tunable to dump given function\n"
        "nil\tattempt to load a binary chunk\n"
        "nil\tattempt to load a binary chunk\n"
        "1\n"
        "5");
}

TEST_CASE("math.random is seeded per computer from the run seed", "[sandbox][determinism]") {
  const auto draw = [](std::uint64_t seed, std::uint32_t id) {
    sim_fixture f(seed);
    f.add(id, "print(math.random(1, 1000000), math.random(1, 1000000))");
    f.run();
    return f.output.text_of(id);
  };
  CHECK(draw(1, 0) == draw(1, 0));
  CHECK(draw(1, 0) != draw(2, 0));
  CHECK(draw(1, 0) != draw(1, 1));
}

TEST_CASE("same program and seed give identical output", "[determinism]") {
  const std::string program = R"(
    local t = {}
    for i = 1, 50 do t["key" .. i] = math.random() end
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    print(table.concat(keys, " "))
    math.randomseed()
    print(math.random(), os.epoch("utc"), os.date("%Y-%m-%d %H:%M:%S"))
  )";
  sim_fixture first(7), second(7), other_seed(8);
  const std::string output = first.run_program(program);
  // The output has the expected shape before it is compared (two runs that both print nothing,
  // or both fail, must not pass): the 50 keys (wrapped over several lines), then a random
  // number, an epoch in milliseconds and a date on the last line.
  const auto last_line = output.rfind('\n');
  REQUIRE(last_line != std::string::npos);
  const std::string keys = output.substr(0, last_line), clock = output.substr(last_line + 1);
  const std::regex key_pattern(R"(\bkey([1-9]|[1-4]\d|50)\b)");
  CHECK(std::distance(std::sregex_iterator(keys.begin(), keys.end(), key_pattern), std::sregex_iterator()) == 50);
  CHECK_THAT(clock, Catch::Matchers::Matches(R"(0\.\d+\t\d{13}\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"));
  CHECK(first.output.text_of(0, redrund::output_stream::err).empty());
  CHECK(output == second.run_program(program));
  CHECK(output != other_seed.run_program(program));
}
