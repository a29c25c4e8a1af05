// serve_world: what the daemon saves in DATA/world.json it loads back unchanged, whatever
// clients and programs gave it.

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

#include "app/scenario.hpp"
#include "app/serve_world.hpp"
#include "app/temp_dir.hpp"
#include "persist/atomic_file.hpp"
#include "support/sim_fixture.hpp"
#include "support/world_fixture.hpp"

using redrund::boot_task;
using redrund::computer;
using redrund::placement;
using redrund::scenario;
using redrund::serve_world;
using redrund::simulation;
using redrund::temp_dir;
using redrund::testing::ender;
using redrund::testing::wired;
using redrund::testing::wireless;

namespace {

constexpr std::uint32_t id_max = 2147483647;

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

// A served world over DATA, as `redrund serve` builds it.
struct served_world {
  explicit served_world(const std::filesystem::path& data) : sim(redrund::world_config{}), world(sim, data, output, 100, 1) {}

  simulation sim;
  redrund::testing::capture_output output;
  serve_world world;
};

// Everything world.json keeps of each computer, as text to compare.
std::string describe(const simulation& sim) {
  std::ostringstream out;
  out.precision(17);
  for (const auto& [id, c] : sim.computers()) {
    const auto where = sim.net().placement_of(id);
    REQUIRE(where);
    out << id << " [" << c->label() << "] " << where->where.x << "," << where->where.y << "," << where->where.z << " "
        << where->dimension << "\n";
    for (const auto& m : sim.net().modems_of(id))
      out << "  modem " << m.side << " " << static_cast<int>(m.kind) << " " << m.cable << "\n";
    for (const boot_task& t : c->boot_tasks()) out << "  task [" << t.name << "] [" << t.command << "] " << t.restart << "\n";
  }
  return out.str();
}

scenario configured_world() {
  auto parsed = redrund::parse_scenario(R"({"computers": [{"id": 2147483645, "position": [0, 0, 0]}]})");
  REQUIRE(parsed.value);
  return *parsed.value;
}

}  // namespace

TEST_CASE("a world with edge-case values is saved and loaded back intact", "[app]") {
  temp_dir data;
  const scenario configured = configured_world();
  std::string before;
  std::string saved_text;
  {
    served_world first(data.path());
    REQUIRE(first.world.load(configured).empty());
    std::string error;
    // 40 two-byte characters: CC keeps 32 whole ones.
    computer* accented = first.world.create_computer(repeat("é", 40), placement{{0.1, -1e300, 1e300}, "the_nether"},
                                                     {wireless("top"), ender("bottom"), wired("left", "net-a")}, error);
    REQUIRE(accented != nullptr);
    CHECK(accented->id() == id_max - 1);
    CHECK(accented->label() == repeat("é", 32));
    computer* wide = first.world.create_computer(repeat("日本", 20) + "\n", placement{{-0.0, 64, 9007199254740992.0}, "x"},
                                                 {wired("bottom", "a"), wired("top", "b"), wired("back", "c"),
                                                  wired("front", "d"), wired("right", "e"), wired("left", "f")},
                                                 error);
    REQUIRE(wide != nullptr);
    CHECK(wide->id() == id_max);
    CHECK(wide->label() == repeat("日本", 16));
    // No id is left: refused, and nothing is added that could not be loaded again.
    CHECK(first.world.create_computer("late", placement{}, {}, error) == nullptr);
    CHECK(error.find("id") != std::string::npos);
    CHECK(first.world.keep_task(accented->id(), boot_task{"", "", "on-error", 0}) != 0);
    REQUIRE_FALSE(first.world.save());
    before = describe(first.sim);
    saved_text = redrund::read_whole_file(first.world.world_file()).value_or("");
  }
  served_world second(data.path());
  const auto errors = second.world.load(configured);
  INFO((errors.empty() ? std::string() : errors.front()));
  REQUIRE(errors.empty());
  CHECK(describe(second.sim) == before);
  REQUIRE_FALSE(second.world.save());
  CHECK(redrund::read_whole_file(second.world.world_file()).value_or("") == saved_text);
  CHECK_FALSE(std::filesystem::exists(data.path() / "world.rejected.jsonl"));
}

TEST_CASE("duplicate modem sides are refused when a computer is created", "[app]") {
  temp_dir data;
  served_world served(data.path());
  REQUIRE(served.world.load(configured_world()).empty());
  std::string error;
  CHECK(served.world.create_computer("twice", placement{}, {wireless("top"), ender("top")}, error) == nullptr);
  CHECK(error.find("top") != std::string::npos);
  CHECK(served.sim.computers().size() == 1);
}
