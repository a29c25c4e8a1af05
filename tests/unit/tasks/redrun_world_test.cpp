// RedRun tasks on networked computers: services that keep answering while the foreground
// program is busy, boot tasks from the host contract (host.tasks), and supervision.

#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "app/temp_dir.hpp"
#include "support/world_fixture.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A foreground that keeps the computer busy but yields every tick.
const std::string busy_loop = "while true do for i = 1, 1e5 do end sleep(0) end";

// world_fixture has no parameter for boot tasks, so these computers are set up here, with
// their own directories, on the fixture's world and output.
class boot_task_computers {
 public:
  explicit boot_task_computers(world_fixture& w) : w_(w) {}

  computer& add(std::uint32_t id, const std::string& program, std::vector<boot_task> tasks, placement where,
                const std::map<std::string, std::string>& files = {}) {
    dirs_.push_back(std::make_unique<temp_dir>());
    std::ofstream(dirs_.back()->path() / "main.lua", std::ios::binary) << program;
    for (const auto& [path, text] : files) std::ofstream(dirs_.back()->path() / path, std::ios::binary) << text;
    computer_setup setup;
    setup.id = id;
    setup.data_dir = dirs_.back()->path();
    setup.seed = 1;
    setup.startup = startup_program{"main.lua", {}, {}};
    setup.tasks = std::move(tasks);
    computer& c = w_.sim().add_computer(std::move(setup), w_.output, std::move(where), {wireless("top")});
    c.turn_on();
    return c;
  }

 private:
  world_fixture& w_;
  std::vector<std::unique_ptr<temp_dir>> dirs_;
};

const std::string locate_lua = R"(
  sleep(3)
  print("at", gps.locate(2))
)";

}  // namespace

TEST_CASE("redrun: GPS hosts run as tasks answer gps.locate while their foreground is busy", "[tasks][redrun]") {
  world_fixture w;
  boot_task_computers boot(w);
  // Two hosts started by the operator command, two as boot tasks; every foreground loops.
  w.add_with(1, startup_program{"main.lua", {}, {}},
             {{"main.lua", "shell.run('redrun start gps gps host 0 60 0') " + busy_loop}}, at(0, 60, 0),
             {wireless("top")});
  w.add_with(2, startup_program{"main.lua", {}, {}},
             {{"main.lua", "shell.run('redrun start gps gps host 20 60 0') " + busy_loop}}, at(20, 60, 0),
             {wireless("top")});
  boot.add(3, busy_loop, {{"gps", "gps host 0 60 20", "on-error"}}, at(0, 60, 20));
  boot.add(4, busy_loop, {{"gps", "gps host 0 80 0", "never"}}, at(0, 80, 0));
  w.add(10, locate_lua, at(7, 50, 9), {wireless("top")});
  REQUIRE(w.run(60) == run_end::condition_met);
  INFO(w.trace());
  CHECK(w.out(10) == "at\t7\t50\t9");
  CHECK(contains(w.out(1), "Started task 1 (gps)"));
  for (std::uint32_t id : {1u, 2u, 3u, 4u}) {
    CHECK(contains(w.out(id), "1 GPS requests served"));
    CHECK(w.err(id).empty());
    CHECK(w.get(id).startup_state() == program_state::running);  // the busy loop never ends
  }
}

TEST_CASE("redrun: a failing supervised boot task is restarted with backoff, its error listed", "[tasks][redrun]") {
  world_fixture w;
  boot_task_computers boot(w);
  boot.add(5, R"(
    local redrun = require "redrun"
    sleep(8)
    for _, t in ipairs(redrun.list()) do
      print(t.id, t.name, t.status, t.restarts, t.error)
    end
    shell.run("redrun list")
  )",
           {{"flaky", "flaky.lua", "on-error"}, {"once", "flaky.lua", "never"}}, at(0, 0, 0),
           {{"flaky.lua", "error('flaky failure', 0)"}});
  REQUIRE(w.run_until([&] { return w.get(5).program_done(); }, 60) == run_end::condition_met);
  INFO(w.trace());
  // Starts at 0.05 s, then after 1, 2 and 4 s: three restarts by 8 s (the 4th is due at 15).
  // The task's error is the program's own message, not just "the command failed".
  CHECK(contains(w.out(5), "1\tflaky\trestarting\t3\tflaky failure"));
  CHECK(contains(w.out(5), "2\tonce\terrored\t0\tflaky failure"));
  CHECK(contains(w.out(5), "1    flaky restarting      4        3"));
  const std::string err = w.err(5);
  CHECK(contains(err, "flaky failure\n"));  // printed by the shell
  CHECK(contains(err, "redrun: task 1 (flaky) failed: flaky failure"));
  CHECK(contains(err, "redrun: task 2 (once) failed: flaky failure"));
}
