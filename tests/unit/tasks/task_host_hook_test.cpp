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
  CHECK(w.out(1).find("bad argument #3 (expected running, finished,") != std::string::npos);
}

TEST_CASE("redrun: tasks still running when the computer shuts down are reported stopped", "[tasks][redrun]") {
  world_fixture w;
  computer& c = w.add(1, R"(
    local redrun = require "redrun"
    redrun.start(function() end, "quick")
    redrun.start(function() sleep(100) end, "sleeper")
    redrun.supervise{ name = "again", fn = function() error("fails", 0) end, restart = "on-error", backoff = 10,
                      key = 7 }
    sleep(0.5)
  )");
  std::vector<std::pair<std::string, std::string>> reports;  // name, status
  c.set_task_observer([&](std::uint32_t, const task_report& r) { reports.emplace_back(r.name, r.status); });
  REQUIRE(w.run(30) == run_end::condition_met);
  INFO(w.trace());
  // "running" reports stay with the computer; only endings reach the observer.
  CHECK(reports == std::vector<std::pair<std::string, std::string>>{{"quick", "finished"}, {"again", "restarting"}});
  reports.clear();
  std::uint32_t stopped_key = 0;
  c.set_task_observer([&](std::uint32_t, const task_report& r) {
    reports.emplace_back(r.name, r.status);
    if (r.name == "again") stopped_key = r.key;
  });
  c.shutdown();
  // The sleeper was running and "again" waits to restart: both end with the computer.
  CHECK(reports == std::vector<std::pair<std::string, std::string>>{{"sleeper", "stopped"}, {"again", "stopped"}});
  CHECK(stopped_key == 7);
  reports.clear();
  c.shutdown();
  CHECK(reports.empty());
}
