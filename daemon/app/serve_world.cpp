#include "app/serve_world.hpp"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "app/scenario_run.hpp"
#include "persist/atomic_file.hpp"

namespace redrund {
namespace {

using nlohmann::json;

const char* modem_type(modem_kind kind) {
  return kind == modem_kind::ender ? "ender" : kind == modem_kind::wired ? "wired" : "wireless";
}

json computer_json(const scenario_computer& c, const placement& where, const std::string& label) {
  json modems = json::array();
  for (const modem_spec& m : c.modems) {
    json entry{{"side", peripheral_sides[m.side]}, {"type", modem_type(m.kind)}};
    if (m.kind == modem_kind::wired) entry["cable"] = m.cable;
    modems.push_back(std::move(entry));
  }
  json entry{{"id", c.id}, {"position", {where.where.x, where.where.y, where.where.z}}, {"dimension", where.dimension},
             {"modems", std::move(modems)}};
  if (!label.empty()) entry["label"] = label;
  if (c.run) entry["run"] = *c.run;
  if (!c.tasks.empty()) {
    json tasks = json::array();
    for (const boot_task& t : c.tasks) tasks.push_back({{"name", t.name}, {"run", t.command}, {"restart", t.restart}});
    entry["tasks"] = std::move(tasks);
  }
  return entry;
}

// A saved world whose computers were all removed: valid here, though a scenario needs one.
bool is_empty_world(const std::string& text) {
  const json document = json::parse(text, nullptr, false);
  return document.is_object() && document.contains("computers") && document["computers"].is_array() &&
         document["computers"].empty();
}

}  // namespace

serve_world::serve_world(simulation& sim, std::filesystem::path data_dir, output_sink& output,
                         std::size_t computers_max, std::uint64_t seed, std::uint64_t slice_instructions)
    : sim_(sim),
      data_dir_(std::move(data_dir)),
      output_(output),
      computers_max_(computers_max),
      seed_(seed),
      slice_instructions_(slice_instructions) {}

computer& serve_world::add(const scenario_computer& given, bool first_start) {
  scenario_computer spec = given;
  for (boot_task& t : spec.tasks) t.key = next_task_key_++;  // so that task.kill can forget it
  const std::filesystem::path dir = data_dir_ / "computers" / std::to_string(spec.id);
  std::filesystem::create_directories(dir);
  std::string error;
  if (first_start && !write_files(spec, dir, error)) spdlog::error("world: {}", error);
  computer_setup setup = setup_for(spec, dir, seed_);
  if (setup.limits.slice_instructions == 0) setup.limits.slice_instructions = slice_instructions_;
  computer& c = sim_.add_computer(std::move(setup), output_, spec.where, spec.modems);
  specs_[spec.id] = spec;
  if (on_created_) on_created_(c);
  c.turn_on();
  return c;
}

std::vector<std::string> serve_world::load(const scenario& configured) {
  std::filesystem::create_directories(data_dir_ / "computers");
  if (const auto saved = read_whole_file(world_file())) {
    if (is_empty_world(*saved)) return {};  // every computer was removed
    scenario_parse_result parsed = parse_scenario(*saved);
    if (!parsed.value) {
      for (std::string& e : parsed.errors) e = world_file().string() + ": " + e;
      return parsed.errors;
    }
    for (const scenario_computer& c : parsed.value->computers) add(c, false);
    return {};
  }
  for (const scenario_computer& c : configured.computers) add(c, true);
  if (auto error = save()) return {*error};
  return {};
}

std::optional<std::string> serve_world::save_if_changed() {
  if (!changed_) return std::nullopt;
  changed_ = false;  // a failed save is retried by the periodic one, not on every pass
  return save();
}

std::optional<std::string> serve_world::save() const {
  json computers = json::array();
  for (const auto& [id, spec] : specs_) {
    const computer* c = const_cast<simulation&>(sim_).find_computer(id);
    const auto where = sim_.net().placement_of(id);
    if (c == nullptr || !where) continue;  // removed
    computers.push_back(computer_json(spec, *where, c->label()));
  }
  const json document{{"name", "redrund world"}, {"computers", std::move(computers)}};
  return write_file_atomically(world_file(), document.dump(2) + "\n");
}

computer* serve_world::create_computer(std::string label, placement where, std::vector<modem_spec> modems,
                                       std::string& error) {
  if (sim_.computers().size() >= computers_max_) {
    error = "the world is full (computers_max)";
    return nullptr;
  }
  scenario_computer spec;
  spec.id = sim_.computers().empty() ? 1 : sim_.computers().rbegin()->first + 1;
  spec.label = std::move(label);
  spec.where = std::move(where);
  spec.modems = std::move(modems);
  computer& created = add(spec, false);
  changed_ = true;
  return &created;
}

std::uint32_t serve_world::keep_task(std::uint32_t computer_id, boot_task task) {
  const auto spec = specs_.find(computer_id);
  computer* c = sim_.find_computer(computer_id);
  if (spec == specs_.end() || c == nullptr) return 0;
  task.key = next_task_key_++;
  spec->second.tasks.push_back(std::move(task));
  c->set_boot_tasks(spec->second.tasks);
  changed_ = true;
  return spec->second.tasks.back().key;
}

void serve_world::forget_task(std::uint32_t computer_id, std::uint32_t key) {
  const auto spec = specs_.find(computer_id);
  if (spec == specs_.end()) return;
  std::vector<boot_task>& tasks = spec->second.tasks;
  const auto found = std::find_if(tasks.begin(), tasks.end(), [key](const boot_task& t) { return t.key == key; });
  if (found == tasks.end()) return;
  tasks.erase(found);
  if (computer* c = sim_.find_computer(computer_id)) c->set_boot_tasks(tasks);
  changed_ = true;
}

}  // namespace redrund
