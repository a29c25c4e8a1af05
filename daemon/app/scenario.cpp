#include "app/scenario.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "proto/text_encoding.hpp"
#include "app/json_checker.hpp"
#include "computer/label.hpp"
#include "computer/lua_pattern.hpp"
#include "computer/peripheral_bus.hpp"

namespace redrund {
namespace {

using json = nlohmann::json;

constexpr double unbounded = std::numeric_limits<double>::max();
// Ticks and seconds stay exact as JSON numbers (doubles) up to 2^53.
constexpr std::uint64_t json_whole_max = 9007199254740992;
// A message held back for more than a simulated hour is a mistake in the scenario.
constexpr std::uint64_t delay_ticks_max = 72000;

// Upper bounds of the limits a scenario may set: generous, but a typo cannot ask the host
// for terabytes. Every field is at least 1.
struct limit_field {
  const char* key;
  std::uint64_t max;
  void (*set)(computer_limits&, std::uint64_t);
};
constexpr std::uint64_t gib = 1024ull * 1024 * 1024;
constexpr limit_field limit_fields[] = {
    {"memory_bytes_max", gib, [](computer_limits& l, std::uint64_t v) { l.memory_bytes_max = v; }},
    {"event_queue_max", 1 << 20, [](computer_limits& l, std::uint64_t v) { l.event_queue_max = v; }},
    {"events_per_tick_max", 1 << 20, [](computer_limits& l, std::uint64_t v) { l.events_per_tick_max = v; }},
    {"timeout_soft_instructions", 100'000'000'000,
     [](computer_limits& l, std::uint64_t v) { l.timeout_soft_instructions = v; }},
    {"timeout_hard_instructions", 100'000'000'000,
     [](computer_limits& l, std::uint64_t v) { l.timeout_hard_instructions = v; }},
    {"disk_capacity_bytes", gib, [](computer_limits& l, std::uint64_t v) { l.disk_capacity_bytes = v; }},
    {"open_files_max", 1 << 16, [](computer_limits& l, std::uint64_t v) { l.open_files_max = v; }},
    {"slice_instructions", 100'000'000'000,
     [](computer_limits& l, std::uint64_t v) { l.slice_instructions = v; }},
    {"slices_per_tick_max", 1 << 20, [](computer_limits& l, std::uint64_t v) { l.slices_per_tick_max = v; }},
};

struct modem_kind_name {
  const char* name;
  modem_kind kind;
};
constexpr modem_kind_name modem_kinds[] = {
    {"wireless", modem_kind::wireless}, {"ender", modem_kind::ender}, {"wired", modem_kind::wired}};

struct expectation_name_entry {
  const char* name;
  expectation value;
};
constexpr expectation_name_entry expectation_names[] = {
    {"success", expectation::success}, {"error", expectation::error}, {"running", expectation::running}};

// The entry of a name table whose name is `name`, or nullptr.
template <typename Entry, std::size_t Size>
const Entry* find_named(const Entry (&table)[Size], const std::optional<std::string>& name) {
  for (const Entry& entry : table)
    if (name && *name == entry.name) return &entry;
  return nullptr;
}

// The scenario's view of a computer's "/": a file path, normalised, or why it is not one.
std::optional<std::string> normalise_file_path(std::string_view path, std::string& problem) {
  std::string result;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      problem = "a file path may not contain \"..\"";
      return std::nullopt;
    }
    result += (result.empty() ? "" : "/") + std::string(part);
  }
  if (result.empty()) problem = "expected a file path";
  if (result == "rom" || result.rfind("rom/", 0) == 0) problem = "/rom is the read-only ROM";
  if (result.find_first_of(std::string_view("\0", 1)) != std::string::npos) problem = "a file path may not contain NUL";
  if (!problem.empty()) return std::nullopt;
  return result;
}

class scenario_reader {
 public:
  explicit scenario_reader(json_checker& check) : check_(check) {}

  void read(const json& doc, scenario& out);
  std::optional<scenario_computer> read_computer(const json& v, const std::string& path);

 private:
  void read_world(const json& v, scenario& out);
  std::optional<placement> read_placement(const json& v, const std::string& path);
  void read_modems(const json& v, const std::string& path, std::vector<modem_spec>& out);
  std::optional<modem_spec> read_modem(const json& v, const std::string& path);
  void read_files(const json& v, const std::string& path, scenario_computer& out);
  void read_limits(const json& v, const std::string& path, computer_limits& out);
  void read_expectations(const json& v, const std::string& path, scenario_computer& out);
  void read_strings(const json& v, const std::string& path, std::vector<std::string>& out, bool allow_one);
  void read_tasks(const json& v, const std::string& path, std::vector<boot_task>& out);
  void read_faults(const json& v, const std::string& path, fault_plan& out);
  std::optional<std::uint32_t> known_id(const json& v, const std::string& path);
  void read_links(const json& v, const std::string& path, std::vector<link_fault>& out);
  void read_partition(const json& v, const std::string& path, std::vector<partition>& out);

  json_checker& check_;
  // id -> the path of the computer that has it, for duplicates and references.
  std::map<std::uint32_t, std::string> ids_;
};

void scenario_reader::read(const json& doc, scenario& out) {
  if (!check_.object(doc, "", {"$schema", "name", "seed", "time_limit", "world", "computers", "faults", "next_id"}))
    return;
  if (const json* v = check_.member(doc, "", "$schema")) check_.string(*v, "$schema");
  // redrund serve's world.json: the id its next created computer gets; a test has no use for it.
  if (const json* v = check_.member(doc, "", "next_id"))
    check_.whole(*v, "next_id", 0, scenario_computer_id_max + 1);
  if (const json* v = check_.member(doc, "", "name")) out.name = check_.string(*v, "name").value_or("");
  if (const json* v = check_.member(doc, "", "seed"))
    out.seed = check_.whole(*v, "seed", 0, std::numeric_limits<std::uint64_t>::max()).value_or(0);
  if (const json* v = check_.member(doc, "", "time_limit"))
    out.time_limit_seconds = check_.number(*v, "time_limit", 0, scenario_time_limit_seconds_max, true).value_or(0);
  if (const json* v = check_.member(doc, "", "world")) read_world(*v, out);
  if (const json* v = check_.member(doc, "", "computers", true); v && check_.array(*v, "computers")) {
    if (v->empty()) check_.fail("computers", "expected at least one computer");
    for (std::size_t i = 0; i < v->size(); ++i)
      if (auto c = read_computer((*v)[i], index_path("computers", i))) out.computers.push_back(std::move(*c));
  }
  std::sort(out.computers.begin(), out.computers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  if (const json* v = check_.member(doc, "", "faults")) read_faults(*v, "faults", out.faults);
}

void scenario_reader::read_world(const json& v, scenario& out) {
  const std::string path = "world";
  if (!check_.object(v, path, {"wireless_range", "wireless_range_max", "world_height", "epoch_ms", "day_time"}))
    return;
  const auto positive = [&](const char* key, double& field) {
    if (const json* m = check_.member(v, path, key))
      field = check_.number(*m, member_path(path, key), 0, unbounded, true).value_or(field);
  };
  positive("wireless_range", out.radio.base_range_blocks);
  positive("wireless_range_max", out.radio.max_range_blocks);
  positive("world_height", out.radio.world_height_blocks);
  if (const json* m = check_.member(v, path, "epoch_ms"))
    out.start.epoch_start_ms = check_.signed_whole(*m, "world.epoch_ms").value_or(out.start.epoch_start_ms);
  if (const json* m = check_.member(v, path, "day_time"))
    out.start.day_time_start_ticks = check_.whole(*m, "world.day_time", 0, json_whole_max).value_or(0);
}

std::optional<scenario_computer> scenario_reader::read_computer(const json& v, const std::string& path) {
  if (!check_.object(v, path, {"id", "label", "position", "dimension", "modems", "files", "run", "input", "expect",
                               "output", "limits", "tasks"}))
    return std::nullopt;
  const std::size_t errors_before = check_.errors().size();
  scenario_computer c;
  if (const json* m = check_.member(v, path, "id", true)) {
    const std::string id_path = member_path(path, "id");
    if (const auto id = check_.whole(*m, id_path, 0, scenario_computer_id_max)) {
      c.id = static_cast<std::uint32_t>(*id);
      const auto [previous, added] = ids_.emplace(c.id, path);
      if (!added) check_.fail(id_path, "duplicate id " + std::to_string(c.id) + " (also " + previous->second + ")");
    }
  }
  if (const json* m = check_.member(v, path, "label")) {
    const std::string label_path = member_path(path, "label");
    c.label = check_.string(*m, label_path).value_or("");
    // CC's rules (computer/label.hpp): a label os.setComputerLabel would change is refused.
    if (!is_normal_label(c.label))
      check_.fail(label_path, "expected at most 32 characters, without control characters");
  }
  if (auto where = read_placement(v, path)) c.where = std::move(*where);
  if (const json* m = check_.member(v, path, "modems")) read_modems(*m, member_path(path, "modems"), c.modems);
  if (const json* m = check_.member(v, path, "limits")) read_limits(*m, member_path(path, "limits"), c.limits);
  if (const json* m = check_.member(v, path, "files")) read_files(*m, member_path(path, "files"), c);
  if (const json* m = check_.member(v, path, "run")) c.run = check_.string(*m, member_path(path, "run"));
  if (const json* m = check_.member(v, path, "input")) read_strings(*m, member_path(path, "input"), c.input, false);
  if (const json* m = check_.member(v, path, "tasks")) read_tasks(*m, member_path(path, "tasks"), c.tasks);
  read_expectations(v, path, c);
  if (check_.errors().size() != errors_before) return std::nullopt;
  return c;
}

// Background tasks started at boot as supervised RedRun tasks: [{name, run, restart}]. A
// name and a command may be empty (a task.start may give them so).
void scenario_reader::read_tasks(const json& v, const std::string& path, std::vector<boot_task>& out) {
  if (!v.is_array()) {
    check_.fail(path, "expected an array of tasks");
    return;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string task_path = index_path(path, i);
    if (!check_.object(v[i], task_path, {"name", "run", "restart"})) continue;
    boot_task task;
    if (const json* m = check_.member(v[i], task_path, "name", true))
      task.name = check_.string(*m, member_path(task_path, "name"), true).value_or("");
    if (const json* m = check_.member(v[i], task_path, "run", true))
      task.command = check_.string(*m, member_path(task_path, "run"), true).value_or("");
    if (const json* m = check_.member(v[i], task_path, "restart")) {
      task.restart = check_.string(*m, member_path(task_path, "restart")).value_or("never");
      if (task.restart != "never" && task.restart != "on-error")
        check_.fail(member_path(task_path, "restart"), "expected \"never\" or \"on-error\"");
    }
    out.push_back(std::move(task));
  }
}

std::optional<placement> scenario_reader::read_placement(const json& v, const std::string& path) {
  placement where;
  if (const json* m = check_.member(v, path, "dimension"))
    where.dimension = check_.string(*m, member_path(path, "dimension")).value_or(where.dimension);
  const json* m = check_.member(v, path, "position", true);
  if (m == nullptr) return std::nullopt;
  const bool three_numbers = m->is_array() && m->size() == 3 &&
                             std::all_of(m->begin(), m->end(), [](const json& n) { return n.is_number(); });
  if (!three_numbers) {
    check_.fail(member_path(path, "position"), "expected 3 numbers");
    return std::nullopt;
  }
  const std::string position_path = member_path(path, "position");
  const auto x = check_.number((*m)[0], index_path(position_path, 0), -unbounded, unbounded);
  const auto y = check_.number((*m)[1], index_path(position_path, 1), -unbounded, unbounded);
  const auto z = check_.number((*m)[2], index_path(position_path, 2), -unbounded, unbounded);
  if (!x || !y || !z) return std::nullopt;
  where.where = position{*x, *y, *z};
  return where;
}

void scenario_reader::read_modems(const json& v, const std::string& path, std::vector<modem_spec>& out) {
  if (!check_.array(v, path)) return;
  std::map<int, std::size_t> sides_used;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string modem_path = index_path(path, i);
    const auto modem = read_modem(v[i], modem_path);
    if (!modem) continue;
    if (const auto [previous, added] = sides_used.emplace(modem->side, i); !added) {
      check_.fail(member_path(modem_path, "side"), "another modem is on side " + json_quoted(peripheral_sides[modem->side]) +
                                                       " (" + index_path(path, previous->second) + ")");
      continue;
    }
    out.push_back(*modem);
  }
}

std::optional<modem_spec> scenario_reader::read_modem(const json& v, const std::string& path) {
  if (!check_.object(v, path, {"side", "type", "cable"})) return std::nullopt;
  modem_spec spec;
  spec.side = -1;
  bool ok = true;
  if (const json* m = check_.member(v, path, "side", true)) {
    const auto side = check_.string(*m, member_path(path, "side"));
    spec.side = side ? side_index(*side) : -1;
    if (side && spec.side < 0) check_.fail(member_path(path, "side"), "unknown side " + json_quoted(*side));
  }
  ok = ok && spec.side >= 0;
  if (const json* m = check_.member(v, path, "type")) {
    const auto type = check_.string(*m, member_path(path, "type"));
    const modem_kind_name* found = find_named(modem_kinds, type);
    if (type && !found)
      check_.fail(member_path(path, "type"), "unknown modem type " + json_quoted(*type) + " (expected wireless, ender or wired)");
    ok = ok && found;
    if (found) spec.kind = found->kind;
  }
  const json* cable = check_.member(v, path, "cable");
  const std::string cable_path = member_path(path, "cable");
  if (spec.kind == modem_kind::wired && cable == nullptr) check_.fail(cable_path, "required for a wired modem");
  if (spec.kind != modem_kind::wired && cable != nullptr) check_.fail(cable_path, "only a wired modem has a cable");
  if (spec.kind == modem_kind::wired && cable != nullptr) spec.cable = check_.string(*cable, cable_path).value_or("");
  ok = ok && (spec.kind == modem_kind::wired) == !spec.cable.empty();
  if (!ok) return std::nullopt;
  return spec;
}

void scenario_reader::read_files(const json& v, const std::string& path, scenario_computer& out) {
  if (!v.is_object()) {
    check_.fail(path, "expected an object mapping file paths to contents");
    return;
  }
  std::map<std::string, std::string> normalised;  // normalised path -> its JSON path
  std::uint64_t total_bytes = 0;
  for (const auto& [key, contents] : v.items()) {
    const std::string file_path = member_path(path, key);
    std::string problem;
    const auto name = normalise_file_path(key, problem);
    if (!name) check_.fail(file_path, problem);
    std::optional<std::string> bytes;
    if (contents.is_string()) {
      bytes = contents.get<std::string>();
    } else if (check_.object(contents, file_path, {"base64"})) {
      const json* encoded = check_.member(contents, file_path, "base64", true);
      const auto text = encoded ? check_.string(*encoded, member_path(file_path, "base64"), true) : std::nullopt;
      if (text && !(bytes = proto::base64_decode(*text))) check_.fail(member_path(file_path, "base64"), "invalid base64");
    }
    if (!name || !bytes) continue;
    if (const auto [previous, added] = normalised.emplace(*name, file_path); !added)
      check_.fail(file_path, "the same file as " + previous->second);
    total_bytes += bytes->size();
    out.files.push_back({*name, std::move(*bytes)});
  }
  // A path that is also a directory of another ("a" and "a/b") cannot be written.
  for (auto it = normalised.begin(); it != normalised.end(); ++it) {
    const auto next = std::next(it);
    if (next != normalised.end() && next->first.rfind(it->first + "/", 0) == 0)
      check_.fail(next->second, "inside " + json_quoted(it->first) + ", which is a file");
  }
  if (total_bytes > out.limits.disk_capacity_bytes)
    check_.fail(path, std::to_string(total_bytes) + " bytes exceed the disk capacity of " +
                          std::to_string(out.limits.disk_capacity_bytes) + " bytes");
}

void scenario_reader::read_limits(const json& v, const std::string& path, computer_limits& out) {
  if (!check_.object(v, path,
                     {"memory_bytes_max", "event_queue_max", "events_per_tick_max", "timeout_soft_instructions",
                      "timeout_hard_instructions", "disk_capacity_bytes", "open_files_max"}))
    return;
  for (const limit_field& field : limit_fields)
    if (const json* m = check_.member(v, path, field.key))
      if (const auto value = check_.whole(*m, member_path(path, field.key), 1, field.max)) field.set(out, *value);
}

void scenario_reader::read_expectations(const json& v, const std::string& path, scenario_computer& out) {
  if (const json* m = check_.member(v, path, "expect")) {
    const auto text = check_.string(*m, member_path(path, "expect"));
    if (const expectation_name_entry* found = find_named(expectation_names, text))
      out.expect = found->value;
    else if (text)
      check_.fail(member_path(path, "expect"), "expected \"success\", \"error\" or \"running\", got " + json_quoted(*text));
  }
  const json* m = check_.member(v, path, "output");
  if (m == nullptr) return;
  const std::string output_path = member_path(path, "output");
  read_strings(*m, output_path, out.output_patterns, true);
  for (std::size_t i = 0; i < out.output_patterns.size(); ++i) {
    if (const auto problem = lua_pattern_check(out.output_patterns[i]))
      check_.fail(m->is_string() ? output_path : index_path(output_path, i),
                  "invalid Lua pattern " + json_quoted(out.output_patterns[i]) + ": " + *problem);
  }
}

// An array of strings, or (when `allow_one`) a single string standing for a one-item array.
void scenario_reader::read_strings(const json& v, const std::string& path, std::vector<std::string>& out,
                                   bool allow_one) {
  if (allow_one && v.is_string()) {
    out.push_back(v.get<std::string>());
    return;
  }
  if (!v.is_array()) {
    check_.fail(path, allow_one ? "expected a string or an array of strings" : "expected an array of strings");
    return;
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    if (auto text = check_.string(v[i], index_path(path, i), true)) out.push_back(std::move(*text));
}

void scenario_reader::read_faults(const json& v, const std::string& path, fault_plan& out) {
  if (!check_.object(v, path, {"loss", "delay_ticks", "links", "partitions"})) return;
  if (const json* m = check_.member(v, path, "loss")) out.loss = check_.number(*m, "faults.loss", 0, 1).value_or(0);
  if (const json* m = check_.member(v, path, "delay_ticks"))
    out.delay_ticks = check_.whole(*m, "faults.delay_ticks", 0, delay_ticks_max).value_or(0);
  if (const json* m = check_.member(v, path, "links")) read_links(*m, "faults.links", out.links);
  if (const json* m = check_.member(v, path, "partitions"); m && check_.array(*m, "faults.partitions"))
    for (std::size_t i = 0; i < m->size(); ++i)
      read_partition((*m)[i], index_path("faults.partitions", i), out.partitions);
}

// The id of a computer the scenario defines.
std::optional<std::uint32_t> scenario_reader::known_id(const json& v, const std::string& path) {
  const auto id = check_.whole(v, path, 0, scenario_computer_id_max);
  if (!id) return std::nullopt;
  if (ids_.count(static_cast<std::uint32_t>(*id)) == 0) {
    check_.fail(path, "no computer has id " + std::to_string(*id));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*id);
}

void scenario_reader::read_links(const json& v, const std::string& path, std::vector<link_fault>& out) {
  if (!check_.array(v, path)) return;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> pairs;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string link_path = index_path(path, i);
    if (!check_.object(v[i], link_path, {"between", "loss"})) continue;
    const json* between = check_.member(v[i], link_path, "between", true);
    const json* loss = check_.member(v[i], link_path, "loss", true);
    const std::string between_path = member_path(link_path, "between");
    std::optional<std::uint32_t> a, b;
    if (between && (!between->is_array() || between->size() != 2))
      check_.fail(between_path, "expected 2 computer ids");
    else if (between && (a = known_id((*between)[0], index_path(between_path, 0))) &&
             (b = known_id((*between)[1], index_path(between_path, 1))) && *a == *b)
      check_.fail(between_path, "expected 2 different computers");
    const auto probability = loss ? check_.number(*loss, member_path(link_path, "loss"), 0, 1) : std::nullopt;
    if (!a || !b || *a == *b || !probability) continue;
    if (const auto [previous, added] = pairs.emplace(std::minmax(*a, *b), link_path); !added) {
      check_.fail(between_path, "the same link as " + previous->second);
      continue;
    }
    out.push_back({*a, *b, *probability});
  }
}

void scenario_reader::read_partition(const json& v, const std::string& path, std::vector<partition>& out) {
  if (!check_.object(v, path, {"groups", "from_tick", "to_tick"})) return;
  partition p;
  p.to_tick = std::numeric_limits<tick_t>::max();  // no end: until the run ends
  const std::size_t errors_before = check_.errors().size();
  if (const json* m = check_.member(v, path, "from_tick"))
    p.from_tick = check_.whole(*m, member_path(path, "from_tick"), 0, json_whole_max).value_or(0);
  if (const json* m = check_.member(v, path, "to_tick")) {
    p.to_tick = check_.whole(*m, member_path(path, "to_tick"), 0, json_whole_max).value_or(p.to_tick);
    if (p.to_tick <= p.from_tick) check_.fail(member_path(path, "to_tick"), "expected a tick after from_tick");
  }
  const json* groups = check_.member(v, path, "groups", true);
  const std::string groups_path = member_path(path, "groups");
  if (groups && (!groups->is_array() || groups->size() < 2))
    check_.fail(groups_path, "expected at least 2 groups of computer ids");
  else if (groups) {
    std::map<std::uint32_t, std::string> seen;
    for (std::size_t g = 0; g < groups->size(); ++g) {
      const std::string group_path = index_path(groups_path, g);
      if (!check_.array((*groups)[g], group_path)) continue;
      std::set<std::uint32_t>& group = p.groups.emplace_back();
      for (std::size_t i = 0; i < (*groups)[g].size(); ++i) {
        const std::string id_path = index_path(group_path, i);
        const auto id = known_id((*groups)[g][i], id_path);
        if (!id) continue;
        if (const auto [previous, added] = seen.emplace(*id, id_path); !added)
          check_.fail(id_path, "computer " + std::to_string(*id) + " is already in " + previous->second);
        group.insert(*id);
      }
    }
  }
  if (check_.errors().size() == errors_before) out.push_back(std::move(p));
}

}  // namespace

const char* expectation_name(expectation e) {
  for (const auto& entry : expectation_names)
    if (entry.value == e) return entry.name;
  return "none";
}

scenario_computer_result parse_scenario_computer(const json& record, const std::string& path) {
  json_checker check;
  scenario_computer_result result;
  result.value = scenario_reader(check).read_computer(record, path);
  result.has_unknown_keys = check.unknown_keys() > 0;
  result.errors = check.take_errors();
  return result;
}

scenario_parse_result parse_scenario(std::string_view json_text) {
  scenario_parse_result result;
  json doc;
  std::vector<std::string> duplicates;
  try {
    doc = parse_json_strict(json_text, duplicates);
  } catch (const json::exception& e) {
    result.errors.push_back(json_parse_problem(e));
    return result;
  }
  json_checker check;
  for (const std::string& path : duplicates) check.fail(path, "duplicate key");
  scenario out;
  scenario_reader(check).read(doc, out);
  result.errors = check.take_errors();
  if (result.errors.empty()) result.value = std::move(out);
  return result;
}

}  // namespace redrund
