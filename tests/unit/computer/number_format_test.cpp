// CC prints integral floats without ".0" everywhere Lua turns a number into text.

#include <catch2/catch.hpp>

#include "support/sim_fixture.hpp"

using redrund::testing::sim_fixture;

TEST_CASE("integral floats print as integers", "[lua][format]") {
  sim_fixture f;
  const auto out = f.run_program(R"(
    print(10 / 2, 2 ^ 53, 1e15, -0.0, 3.0)
    print(0.1, 1 / 3, 2.5, 1e100, -7.25)
    print(1 / 0, -1 / 0, tostring(0 / 0):gsub("-", ""))
    print("x" .. 4 / 2 .. "y", string.format("%s", 6 / 3), tostring(8 / 4))
    print(math.floor(2.5), 7 // 2, 2^63)
  )");
  CHECK(out ==
        "5\t9007199254740992\t1000000000000000\t0\t3\n"
        "0.1\t0.33333333333333\t2.5\t1e+100\t-7.25\n"
        "inf\t-inf\tnan\t0\n"
        "x2y\t2\t2\n"
        "2\t3\t9.2233720368548e+18");
}
