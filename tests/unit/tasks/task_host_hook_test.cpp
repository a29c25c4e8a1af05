// RedRun's host hook (lua/README.md, host.task_ended): how tasks end reaches the host, with
// the key a task was started with; what a program passes to the hook itself is checked.

#include <map>
#include <vector>

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

struct seen_report {
  std::string status;
  std::string error;
  std::uint32_t key;
};

}  // namespace

TEST_CASE("redrun: the host hears how each task ended, with its key", "[tasks][redrun]") {
  world_fixture w;
  computer& c = w.add(1, R"(
    local redrun = require "redrun"
    redrun.start(function() end, "quick")
    redrun.supervise{ name = "broken", fn = function() error("boom", 0) end }
    local sleeper = redrun.supervise{ name = "sleeper", fn = function() sleep(100) end, key = 42 }
    local again = redrun.supervise{ name = "again", fn = function() error("once more", 0) end,
                                    restart = "on-error", backoff = 10 }
    sleep(0.5)
    redrun.kill(sleeper)
    redrun.terminate(again)
    print(pcall(getfenv(rednet.run).__redrun_host, 1, "forged", "bogus"))
  )");
  std::map<std::string, std::vector<seen_report>> reports;
  c.set_task_observer([&](std::uint32_t id, const task_report& r) {
    CHECK(id == 1);
    reports[r.name].push_back({r.status, r.error, r.key});
  });
  REQUIRE(w.run(30) == run_end::condition_met);
  INFO(w.trace());
  REQUIRE(reports.size() == 4);
  CHECK(reports["quick"].size() == 1);
  CHECK(reports["quick"][0].status == "finished");
  CHECK(reports["broken"].size() == 1);
  CHECK(reports["broken"][0].status == "errored");
  CHECK(reports["broken"][0].error == "boom");
  CHECK(reports["sleeper"].size() == 1);
  CHECK(reports["sleeper"][0].status == "killed");
  CHECK(reports["sleeper"][0].key == 42);
  REQUIRE(reports["again"].size() == 2);
  CHECK(reports["again"][0].status == "restarting");
  CHECK(reports["again"][0].error == "once more");
  CHECK(reports["again"][1].status == "terminated");
  CHECK(reports["again"][1].key == 0);
  // The hook refuses a status it does not know, so a program cannot invent one.
  CHECK(w.out(1).find("false") == 0);
  CHECK(w.out(1).find("bad argument #3 (expected finished,") != std::string::npos);
}
