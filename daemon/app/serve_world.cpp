#include "app/serve_world.hpp"

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

}  // namespace

serve_world::serve_world(simulation& sim, std::filesystem::path data_dir, output_sink& output,
                         std::size_t computers_max, std::uint64_t seed)
    : sim_(sim), data_dir_(std::move(data_dir)), output_(output), computers_max_(computers_max), seed_(seed) {}

computer& serve_world::add(const scenario_computer& spec, bool first_start) {
  const std::filesystem::path dir = data_dir_ / "computers" / std::to_string(spec.id);
  std::filesystem::create_directories(dir);
  std::string error;
  if (first_start && !write_files(spec, dir, error)) spdlog::error("world: {}", error);
  computer_setup setup = setup_for(spec, dir, seed_);
  computer& c = sim_.add_computer(std::move(setup), output_, spec.where, spec.modems);
  specs_[spec.id] = spec;
  if (on_created_) on_created_(c);
  c.turn_on();
  return c;
}

std::vector<std::string> serve_world::load(const scenario& configured) {
  std::filesystem::create_directories(data_dir_ / "computers");
  if (const auto saved = read_whole_file(world_file())) {
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
  if (auto failed = save()) error = *failed;  // the computer exists; saving retries later
  return &created;
}

}  // namespace redrund
