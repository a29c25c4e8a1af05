// Scenario validation: a valid document becomes a scenario; every problem is reported as
// "json.path: problem", naming the right path.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "app/scenario.hpp"

using redrund::expectation;
using redrund::modem_kind;
using redrund::parse_scenario;

namespace {

// The errors for a document, joined with newlines (shown by Catch on failure).
std::string errors_of(const std::string& json) {
  std::string joined;
  for (const auto& e : parse_scenario(json).errors) joined += e + "\n";
  return joined;
}

// A document with one computer whose members are `members` (after id and position).
std::string one_computer(const std::string& members, const std::string& top = "") {
  return R"({ )" + top + R"( "computers": [ { "id": 1, "position": [0, 64, 0])" +
         (members.empty() ? "" : ", " + members) + " } ] }";
}

bool has_error(const std::string& json, const std::string& expected) {
  const auto errors = parse_scenario(json).errors;
  return std::find(errors.begin(), errors.end(), expected) != errors.end();
}

}  // namespace

TEST_CASE("a full scenario is read with its defaults and overrides", "[app]") {
  const auto parsed = parse_scenario(R"({
    "name": "full", "seed": 7, "time_limit": 12.5,
    "world": { "wireless_range": 32, "wireless_range_max": 100, "world_height": 256,
               "epoch_ms": -5, "day_time": 6000 },
    "computers": [
      { "id": 9, "position": [1, 2.5, -3], "dimension": "the_nether", "run": "x", "input": ["a", ""],
        "modems": [ { "side": "left", "type": "wired", "cable": "net" }, { "side": "top" } ],
        "files": { "/a/b.lua": "return 1", "bin": { "base64": "AAEC/w==" } },
        "expect": "error", "output": "x%d", "limits": { "memory_bytes_max": 65536, "open_files_max": 4 } },
      { "id": 2, "label": "two", "position": [0, 0, 0], "expect": "running", "output": ["a", "b"] } ],
    "faults": { "loss": 0.25, "delay_ticks": 3, "links": [ { "between": [2, 9], "loss": 1 } ],
                "partitions": [ { "groups": [[2], [9]], "from_tick": 5, "to_tick": 10 }, { "groups": [[2], []] } ] } })");
  INFO(errors_of(""));
  REQUIRE(parsed.errors.empty());
  const redrund::scenario& s = *parsed.value;
  CHECK(s.name == "full");
  CHECK(s.seed == 7);
  CHECK(s.time_limit_seconds == 12.5);
  CHECK(s.radio.base_range_blocks == 32);
  CHECK(s.radio.max_range_blocks == 100);
  CHECK(s.radio.world_height_blocks == 256);
  CHECK(s.start.epoch_start_ms == -5);
  CHECK(s.start.day_time_start_ticks == 6000);
  REQUIRE(s.computers.size() == 2);
  CHECK(s.computers[0].id == 2);  // in id order
  CHECK(s.computers[0].label == "two");
  CHECK(s.computers[0].output_patterns == std::vector<std::string>{"a", "b"});
  const auto& c = s.computers[1];
  CHECK(c.where.where.y == 2.5);
  CHECK(c.where.dimension == "the_nether");
  REQUIRE(c.modems.size() == 2);
  CHECK(c.modems[0].kind == modem_kind::wired);
  CHECK(c.modems[0].cable == "net");
  CHECK(c.modems[1].kind == modem_kind::wireless);
  CHECK(c.modems[1].side == 1);
  REQUIRE(c.files.size() == 2);
  CHECK(c.files[0].path == "a/b.lua");
  CHECK(c.files[1].contents == std::string("\0\1\2\xff", 4));
  CHECK(c.run == "x");
  CHECK(c.input == std::vector<std::string>{"a", ""});
  CHECK(c.expect == expectation::error);
  CHECK(c.limits.memory_bytes_max == 65536);
  CHECK(c.limits.open_files_max == 4);
  CHECK(s.faults.loss == 0.25);
  CHECK(s.faults.delay_ticks == 3);
  REQUIRE(s.faults.links.size() == 1);
  CHECK(s.faults.links[0].loss == 1);
  REQUIRE(s.faults.partitions.size() == 2);
  CHECK(s.faults.partitions[0].to_tick == 10);
  CHECK(s.faults.partitions[1].to_tick == std::numeric_limits<redrund::tick_t>::max());
}

TEST_CASE("a minimal scenario gets the documented defaults", "[app]") {
  const auto parsed = parse_scenario(one_computer(""));
  REQUIRE(parsed.value);
  CHECK(parsed.value->seed == 0);
  CHECK(parsed.value->time_limit_seconds == 300);
  CHECK(parsed.value->computers[0].where.dimension == "overworld");
  CHECK(parsed.value->computers[0].expect == expectation::none);
  CHECK_FALSE(parsed.value->computers[0].run);
  CHECK(parsed.value->name.empty());  // the command falls back to the file name
}

TEST_CASE("malformed JSON names the parser's message and byte offset", "[app]") {
  const auto errors = parse_scenario(R"({"computers": [}")").errors;
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind("malformed JSON at byte 16: parse error at line 1, column 16", 0) == 0);
  CHECK(errors_of("") .rfind("malformed JSON at byte", 0) == 0);
  CHECK(errors_of(R"({"a": 1e999})").rfind("malformed JSON: number overflow", 0) == 0);
}

TEST_CASE("top-level problems name their key", "[app]") {
  CHECK(has_error("[]", "$: expected an object, got an array"));
  CHECK(has_error("{}", "computers: required"));
  CHECK(has_error(R"({"computers": []})", "computers: expected at least one computer"));
  CHECK(has_error(R"({"computers": {}})", "computers: expected an array, got an object"));
  CHECK(has_error(one_computer("", R"("nmae": "x",)"),
                  "nmae: unknown key (expected one of: $schema, name, seed, time_limit, world, computers, faults, next_id)"));
  CHECK(has_error(one_computer("", R"("name": 3,)"), "name: expected a string, got a number"));
  CHECK(has_error(one_computer("", R"("seed": -1,)"), "seed: expected an integer between 0 and 18446744073709551615"));
  CHECK(has_error(one_computer("", R"("seed": 1.5,)"), "seed: expected an integer between 0 and 18446744073709551615"));
  CHECK(has_error(one_computer("", R"("time_limit": 0,)"), "time_limit: expected a number above 0 and at most 10000000"));
  CHECK(has_error(one_computer("", R"("seed": 1, "seed": 2,)"), "seed: duplicate key"));
  CHECK(parse_scenario(one_computer("", R"("seed": 3.0, "$schema": "s.json",)")).value->seed == 3);
}

TEST_CASE("world problems name world.<key>", "[app]") {
  CHECK(has_error(one_computer("", R"("world": [],)"), "world: expected an object, got an array"));
  CHECK(has_error(one_computer("", R"("world": {"range": 1},)"),
                  "world.range: unknown key (expected one of: wireless_range, wireless_range_max, world_height, "
                  "epoch_ms, day_time)"));
  CHECK(has_error(one_computer("", R"("world": {"wireless_range": 0},)"), "world.wireless_range: expected a positive number"));
  CHECK(has_error(one_computer("", R"("world": {"wireless_range_max": "far"},)"),
                  "world.wireless_range_max: expected a positive number"));
  CHECK(has_error(one_computer("", R"("world": {"world_height": -1},)"), "world.world_height: expected a positive number"));
  CHECK(has_error(one_computer("", R"("world": {"epoch_ms": 0.5},)"), "world.epoch_ms: expected an integer"));
  CHECK(has_error(one_computer("", R"("world": {"day_time": -1},)"),
                  "world.day_time: expected an integer between 0 and 9007199254740992"));
}

TEST_CASE("computer problems name computers[i].<key>", "[app]") {
  CHECK(has_error(R"({"computers": [1]})", "computers[0]: expected an object, got a number"));
  CHECK(has_error(R"({"computers": [{"position": [0,0,0]}]})", "computers[0].id: required"));
  CHECK(has_error(R"({"computers": [{"id": 1}]})", "computers[0].position: required"));
  CHECK(has_error(R"({"computers": [{"id": 2147483648, "position": [0,0,0]}]})",
                  "computers[0].id: expected an integer between 0 and 2147483647"));
  CHECK(has_error(R"({"computers": [{"id": 1, "position": [0,0,0]}, {"id": 1, "position": [0,0,0]}]})",
                  "computers[1].id: duplicate id 1 (also computers[0])"));
  CHECK(has_error(R"({"computers": [{"id": 1, "position": [0,0]}]})", "computers[0].position: expected 3 numbers"));
  CHECK(has_error(R"({"computers": [{"id": 1, "position": [0,"0",0]}]})", "computers[0].position: expected 3 numbers"));
  CHECK(has_error(one_computer(R"("label": "")"), "computers[0].label: expected a non-empty string"));
  CHECK(has_error(one_computer(R"("label": "123456789012345678901234567890123")"),
                  "computers[0].label: expected at most 32 characters, without control characters"));
  CHECK(has_error(one_computer(R"("label": "a\tb")"),
                  "computers[0].label: expected at most 32 characters, without control characters"));
  CHECK(has_error(one_computer(R"("dimension": "")"), "computers[0].dimension: expected a non-empty string"));
  CHECK(has_error(one_computer(R"("run": "")"), "computers[0].run: expected a non-empty string"));
  CHECK(has_error(one_computer(R"("input": "x")"), "computers[0].input: expected an array of strings"));
  CHECK(has_error(one_computer(R"("input": ["x", 2])"), "computers[0].input[1]: expected a string, got a number"));
  CHECK(has_error(one_computer(R"("expect": "ok")"),
                  R"(computers[0].expect: expected "success", "error" or "running", got "ok")"));
  CHECK(has_error(one_computer(R"("colour": 1)"),
                  "computers[0].colour: unknown key (expected one of: id, label, position, dimension, modems, files, "
                  "run, input, expect, output, limits, tasks)"));
}

TEST_CASE("modem problems name computers[i].modems[j].<key>", "[app]") {
  CHECK(has_error(one_computer(R"("modems": {})"), "computers[0].modems: expected an array, got an object"));
  CHECK(has_error(one_computer(R"("modems": [{}])"), "computers[0].modems[0].side: required"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top"}, {"side": "up"}])"),
                  R"(computers[0].modems[1].side: unknown side "up")"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top", "type": "laser"}])"),
                  R"(computers[0].modems[0].type: unknown modem type "laser" (expected wireless, ender or wired))"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top", "type": "wired"}])"),
                  "computers[0].modems[0].cable: required for a wired modem"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top", "type": "ender", "cable": "x"}])"),
                  "computers[0].modems[0].cable: only a wired modem has a cable"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top", "type": "wired", "cable": ""}])"),
                  "computers[0].modems[0].cable: expected a non-empty string"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top"}, {"side": "top", "type": "ender"}])"),
                  R"(computers[0].modems[1].side: another modem is on side "top" (computers[0].modems[0]))"));
  CHECK(has_error(one_computer(R"("modems": [{"side": "top", "colour": 1}])"),
                  "computers[0].modems[0].colour: unknown key (expected one of: side, type, cable)"));
}

TEST_CASE("file problems name computers[i].files[\"path\"]", "[app]") {
  CHECK(has_error(one_computer(R"("files": [])"), "computers[0].files: expected an object mapping file paths to contents"));
  CHECK(has_error(one_computer(R"("files": {"../x": ""})"),
                  R"(computers[0].files["../x"]: a file path may not contain "..")"));
  CHECK(has_error(one_computer(R"("files": {"/": ""})"), R"(computers[0].files["/"]: expected a file path)"));
  CHECK(has_error(one_computer(R"("files": {"rom/x": ""})"), R"(computers[0].files["rom/x"]: /rom is the read-only ROM)"));
  CHECK(has_error(one_computer(R"("files": {"x": 5})"), "computers[0].files.x: expected an object, got a number"));
  CHECK(has_error(one_computer(R"("files": {"x": {"b64": ""}})"),
                  "computers[0].files.x.b64: unknown key (expected one of: base64)"));
  CHECK(has_error(one_computer(R"("files": {"x": {}})"), "computers[0].files.x.base64: required"));
  CHECK(has_error(one_computer(R"("files": {"x": {"base64": "A"}})"), "computers[0].files.x.base64: invalid base64"));
  CHECK(has_error(one_computer(R"("files": {"x": {"base64": "a*=="}})"), "computers[0].files.x.base64: invalid base64"));
  CHECK(has_error(one_computer(R"("files": {"a": "", "/a": ""})"), R"(computers[0].files.a: the same file as computers[0].files["/a"])"));
  CHECK(has_error(one_computer(R"("files": {"a": "", "a/b": ""})"),
                  R"(computers[0].files["a/b"]: inside "a", which is a file)"));
  CHECK(has_error(one_computer(R"("files": {"a": "12345"}, "limits": {"disk_capacity_bytes": 4})"),
                  "computers[0].files: 5 bytes exceed the disk capacity of 4 bytes"));
}

TEST_CASE("limit and output problems name their key", "[app]") {
  CHECK(has_error(one_computer(R"("limits": {"memory": 1})"),
                  "computers[0].limits.memory: unknown key (expected one of: memory_bytes_max, event_queue_max, "
                  "events_per_tick_max, timeout_soft_instructions, timeout_hard_instructions, disk_capacity_bytes, "
                  "open_files_max)"));
  CHECK(has_error(one_computer(R"("limits": {"memory_bytes_max": 0})"),
                  "computers[0].limits.memory_bytes_max: expected an integer between 1 and 1073741824"));
  CHECK(has_error(one_computer(R"("limits": {"event_queue_max": 1.5})"),
                  "computers[0].limits.event_queue_max: expected an integer between 1 and 1048576"));
  CHECK(has_error(one_computer(R"("output": 1)"), "computers[0].output: expected a string or an array of strings"));
  CHECK(has_error(one_computer(R"("output": ["a", false])"), "computers[0].output[1]: expected a string, got a boolean"));
  CHECK(has_error(one_computer(R"("output": "50%")"),
                  R"(computers[0].output: invalid Lua pattern "50%": malformed pattern (ends with '%'))"));
  CHECK(has_error(one_computer(R"("output": ["ok", "[a"])"),
                  R"(computers[0].output[1]: invalid Lua pattern "[a": malformed pattern (missing ']'))"));
}

TEST_CASE("fault problems name faults.<key>", "[app]") {
  const auto two = [](const std::string& faults) {
    return R"({"computers": [{"id": 1, "position": [0,0,0]}, {"id": 2, "position": [0,0,0]}], "faults": )" + faults + "}";
  };
  CHECK(has_error(two("[]"), "faults: expected an object, got an array"));
  CHECK(has_error(two(R"({"lost": 1})"), "faults.lost: unknown key (expected one of: loss, delay_ticks, links, partitions)"));
  CHECK(has_error(two(R"({"loss": 1.5})"), "faults.loss: expected a number between 0 and 1"));
  CHECK(has_error(two(R"({"delay_ticks": -2})"), "faults.delay_ticks: expected an integer between 0 and 72000"));
  CHECK(has_error(two(R"({"links": {}})"), "faults.links: expected an array, got an object"));
  CHECK(has_error(two(R"({"links": [{"between": [1], "loss": 0}]})"), "faults.links[0].between: expected 2 computer ids"));
  CHECK(has_error(two(R"({"links": [{"between": [1, 3], "loss": 0}]})"), "faults.links[0].between[1]: no computer has id 3"));
  CHECK(has_error(two(R"({"links": [{"between": [2, 2], "loss": 0}]})"),
                  "faults.links[0].between: expected 2 different computers"));
  CHECK(has_error(two(R"({"links": [{"between": [1, 2]}]})"), "faults.links[0].loss: required"));
  CHECK(has_error(two(R"({"links": [{"between": [1, 2], "loss": 2}]})"),
                  "faults.links[0].loss: expected a number between 0 and 1"));
  CHECK(has_error(two(R"({"links": [{"between": [1, 2], "loss": 0}, {"between": [2, 1], "loss": 1}]})"),
                  "faults.links[1].between: the same link as faults.links[0]"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1]]}]})"),
                  "faults.partitions[0].groups: expected at least 2 groups of computer ids"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1], 2]}]})"),
                  "faults.partitions[0].groups[1]: expected an array, got a number"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1], [5]]}]})"),
                  "faults.partitions[0].groups[1][0]: no computer has id 5"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1, 2], [1]]}]})"),
                  "faults.partitions[0].groups[1][0]: computer 1 is already in faults.partitions[0].groups[0][0]"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1], [2]], "from_tick": 5, "to_tick": 5}]})"),
                  "faults.partitions[0].to_tick: expected a tick after from_tick"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1], [2]], "from_tick": -1}]})"),
                  "faults.partitions[0].from_tick: expected an integer between 0 and 9007199254740992"));
  CHECK(has_error(two(R"({"partitions": [{"groups": [[1], [2]], "until": 3}]})"),
                  "faults.partitions[0].until: unknown key (expected one of: groups, from_tick, to_tick)"));
}

TEST_CASE("every problem of a document is reported, not only the first", "[app]") {
  const auto errors = parse_scenario(R"({"seed": "x", "computers": [{"id": 1, "position": 3, "expect": 1}],
                                         "faults": {"loss": -1}})").errors;
  CHECK(errors == std::vector<std::string>{"seed: expected an integer between 0 and 18446744073709551615",
                                           "computers[0].position: expected 3 numbers",
                                           "computers[0].expect: expected a string, got a number",
                                           "faults.loss: expected a number between 0 and 1"});
}
