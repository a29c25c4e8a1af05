#include "app/world_document.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>

#include "app/json_checker.hpp"
#include "computer/peripheral_bus.hpp"
#include "proto/json_limits.hpp"

namespace redrund {
namespace {

using nlohmann::json;

const char* modem_type(modem_kind kind) {
  return kind == modem_kind::ender ? "ender" : kind == modem_kind::wired ? "wired" : "wireless";
}

// Whether the JSON path `path` is the record at `record_path` or lies inside it.
bool lies_inside(const std::string& path, const std::string& record_path) {
  if (path.rfind(record_path, 0) != 0) return false;
  return path.size() == record_path.size() || path[record_path.size()] == '.' || path[record_path.size()] == '[';
}

std::string utc_now_text() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// Reads each computer record on its own: a readable one joins `out.computers`, any other
// `out.rejected`. Records with members this version does not know go to `fatal` instead.
void read_records(const json& computers, const std::vector<std::string>& duplicate_keys, world_document& out,
                  std::vector<std::string>& fatal) {
  std::map<std::uint32_t, std::string> ids;  // id -> the path of the record that has it
  for (std::size_t i = 0; i < computers.size(); ++i) {
    const std::string path = index_path("computers", i);
    scenario_computer_result read = parse_scenario_computer(computers[i], path);
    if (read.has_unknown_keys) {
      fatal.insert(fatal.end(), read.errors.begin(), read.errors.end());
      continue;
    }
    for (const std::string& duplicate : duplicate_keys)
      if (lies_inside(duplicate, path)) read.errors.push_back(duplicate + ": duplicate key");
    if (read.value && read.errors.empty()) {
      const auto [previous, added] = ids.emplace(read.value->id, path);
      if (!added)
        read.errors.push_back(path + ".id: duplicate id " + std::to_string(read.value->id) + " (also " +
                              previous->second + ")");
    }
    if (read.value && read.errors.empty()) out.computers.push_back(std::move(*read.value));
    else out.rejected.push_back({path, computers[i], std::move(read.errors)});
  }
  std::sort(out.computers.begin(), out.computers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
}

}  // namespace

world_document_result read_world_document(std::string_view text) {
  world_document_result result;
  std::vector<std::string> duplicate_keys;
  json doc;
  try {
    doc = parse_json_strict(text, duplicate_keys);
  } catch (const json::exception& e) {
    result.errors.push_back(json_parse_problem(e));
    return result;
  }
  json_checker check;
  // A scenario's top level, whose members serve accepts but does not use (any scenario can
  // seed a world), and serve's own next_id.
  const bool is_object =
      check.object(doc, "", {"$schema", "name", "seed", "time_limit", "world", "computers", "faults", "next_id"});
  const json* computers = is_object ? check.member(doc, "", "computers", true) : nullptr;
  if (computers != nullptr) check.array(*computers, "computers");
  // A duplicate inside a computer record is that record's problem (read_records).
  for (const std::string& duplicate : duplicate_keys)
    if (duplicate.rfind("computers[", 0) != 0) check.fail(duplicate, "duplicate key");
  if (!check.errors().empty()) {
    result.errors = check.take_errors();
    return result;
  }
  world_document out;
  if (const json* v = check.member(doc, "", "next_id")) {
    // One past the largest id: every id has been given out.
    out.next_id = check.whole(*v, "next_id", 0, scenario_computer_id_max + 1);
    for (const std::string& e : check.take_errors()) out.warnings.push_back(e + " (taken from the ids instead)");
  }
  read_records(*computers, duplicate_keys, out, result.errors);
  if (result.errors.empty()) result.value = std::move(out);
  return result;
}

json world_record(const scenario_computer& spec, const placement& where, const std::string& label) {
  json modems = json::array();
  for (const modem_spec& m : spec.modems) {
    json entry{{"side", peripheral_sides[m.side]}, {"type", modem_type(m.kind)}};
    if (m.kind == modem_kind::wired) entry["cable"] = m.cable;
    modems.push_back(std::move(entry));
  }
  json record{{"id", spec.id},
              {"position", {where.where.x, where.where.y, where.where.z}},
              {"dimension", where.dimension},
              {"modems", std::move(modems)}};
  if (!label.empty()) record["label"] = label;
  if (spec.run) record["run"] = *spec.run;
  if (!spec.tasks.empty()) {
    json tasks = json::array();
    for (const boot_task& t : spec.tasks) tasks.push_back({{"name", t.name}, {"run", t.command}, {"restart", t.restart}});
    record["tasks"] = std::move(tasks);
  }
  return record;
}

std::string world_document_text(json records, std::uint64_t next_id) {
  const json document{{"name", "redrund world"}, {"computers", std::move(records)}, {"next_id", next_id}};
  return proto::dump_json(document, 2) + "\n";
}

std::string rejected_line(const rejected_record& rejected) {
  const json line{{"rejected_at", utc_now_text()},
                  {"path", rejected.path},
                  {"problems", rejected.problems},
                  {"record", rejected.record}};
  return proto::dump_json(line) + "\n";
}

std::string rejected_id_text(const rejected_record& rejected) {
  if (!rejected.record.is_object() || !rejected.record.contains("id")) return "none";
  return proto::dump_json(rejected.record["id"]);
}

}  // namespace redrund
