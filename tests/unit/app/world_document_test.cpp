// world.json is read record by record: a record that cannot be read is set aside with its
// problems, the rest loads; only what a newer version could have written (members this one
// does not know) or malformed JSON refuses the whole document.

#include <catch2/catch.hpp>

#include <string>

#include "app/world_document.hpp"

using redrund::read_world_document;

namespace {

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const std::string& problem : problems) text += problem + "\n";
  return text;
}

}  // namespace

TEST_CASE("a world record that cannot be read is set aside and the others load", "[app]") {
  const auto read = read_world_document(R"({"name": "redrund world", "next_id": 12, "computers": [
    {"id": 3, "position": [0, 0, 0]},
    {"id": 4, "label": "123456789012345678901234567890123", "position": [0, 0, 0]},
    {"id": 3, "position": [1, 1, 1]},
    {"id": 5, "position": [0, 0, 0], "label": "a", "label": "b"},
    "not a computer",
    {"id": 1, "position": [0, 0, 0], "tasks": [{"name": "", "run": ""}]}
  ]})");
  INFO(joined(read.errors));
  REQUIRE(read.value);
  REQUIRE(read.value->computers.size() == 2);
  CHECK(read.value->computers[0].id == 1);  // in id order
  CHECK(read.value->computers[1].id == 3);
  CHECK(read.value->next_id == 12u);
  REQUIRE(read.value->rejected.size() == 4);
  CHECK(read.value->rejected[0].path == "computers[1]");
  CHECK(read.value->rejected[0].record["id"] == 4);
  CHECK(joined(read.value->rejected[0].problems).find("computers[1].label") != std::string::npos);
  CHECK(joined(read.value->rejected[1].problems) == "computers[2].id: duplicate id 3 (also computers[0])\n");
  CHECK(joined(read.value->rejected[2].problems) == "computers[3].label: duplicate key\n");
  CHECK(redrund::rejected_id_text(read.value->rejected[3]) == "none");
}

TEST_CASE("a world document this version cannot have written is refused whole", "[app]") {
  CHECK_FALSE(read_world_document("{").value);
  CHECK_FALSE(read_world_document(R"({"computers": [], "future": 1})").value);
  const auto newer = read_world_document(R"({"computers": [{"id": 1, "position": [0, 0, 0], "colour": "red"}]})");
  REQUIRE_FALSE(newer.value);
  CHECK(joined(newer.errors).find("computers[0].colour: unknown key") != std::string::npos);
  // An empty world is a world; a next_id that cannot be read is taken from the ids instead.
  const auto empty = read_world_document(R"({"computers": [], "next_id": -1})");
  REQUIRE(empty.value);
  CHECK_FALSE(empty.value->next_id);
  CHECK(empty.value->warnings.size() == 1);
}
