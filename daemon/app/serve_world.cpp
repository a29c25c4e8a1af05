#include "app/serve_world.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <spdlog/spdlog.h>

#include "app/scenario_run.hpp"
#include "computer/label.hpp"
#include "computer/peripheral_bus.hpp"
#include "persist/atomic_file.hpp"

namespace redrund {
namespace {

// A computer id written as text (a directory name, a record's id), or nullopt.
std::optional<std::uint64_t> id_from_text(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  const bool whole_text = !text.empty() && error == std::errc() && end == text.data() + text.size();
  if (!whole_text || id > scenario_computer_id_max) return std::nullopt;
  return id;
}

// Why a client's computer cannot have these modems: one modem per side, as in scenarios.
std::optional<std::string> modems_problem(const std::vector<modem_spec>& modems) {
  for (std::size_t i = 0; i < modems.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (modems[i].side != modems[j].side) continue;
      const std::string at = "params.create.modems[";
      return at + std::to_string(i) + "].side: another modem is on side " + peripheral_sides[modems[i].side] +
             " (" + at + std::to_string(j) + "])";
    }
  }
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const std::string& problem : problems) text += (text.empty() ? "" : "; ") + problem;
  return text;
}

}  // namespace

serve_world::serve_world(simulation& sim, std::filesystem::path data_dir, output_sink& output,
                         std::size_t computers_max, std::uint64_t seed, std::uint64_t slice_instructions)
    : sim_(sim),
      data_dir_(std::move(data_dir)),
      output_(output),
      computers_max_(computers_max),
      seed_(seed),
      slice_instructions_(slice_instructions) {
  sim_.set_removal_observer([this](std::uint32_t id) { on_removed(id); });
}

serve_world::~serve_world() { sim_.set_removal_observer(nullptr); }

computer& serve_world::add(const scenario_computer& given, bool first_start) {
  scenario_computer spec = given;
  for (boot_task& t : spec.tasks) t.key = next_task_key_++;  // so that task.kill can forget it
  const std::filesystem::path dir = computer_dir(spec.id);
  // A directory that cannot be made leaves the computer an empty disk that refuses writes.
  std::error_code ignored;
  std::filesystem::create_directories(dir, ignored);
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
  std::error_code error;
  std::filesystem::create_directories(data_dir_ / "computers", error);
  const bool saved = !error && std::filesystem::exists(world_file(), error);
  if (error) return {"cannot use the data directory " + data_dir_.string() + ": " + error.message()};
  if (saved) {
    const auto text = read_whole_file(world_file());
    if (!text) return {"cannot read " + world_file().string()};
    if (auto errors = load_saved(*text); !errors.empty()) return errors;
  } else {
    for (const scenario_computer& c : configured.computers) add(c, true);
  }
  next_id_ = std::max(next_id_, first_unused_id());
  if (auto failed = save()) return {"cannot save the world: " + *failed};
  return {};
}

std::vector<std::string> serve_world::load_saved(const std::string& text) {
  world_document_result read = read_world_document(text);
  if (!read.value) {
    for (std::string& e : read.errors) e = world_file().string() + ": " + e;
    return read.errors;
  }
  for (const std::string& warning : read.value->warnings) spdlog::warn("world: {}: {}", world_file().string(), warning);
  if (auto failed = set_aside(read.value->rejected)) return {*failed};
  for (const scenario_computer& c : read.value->computers) add(c, false);
  next_id_ = read.value->next_id.value_or(1);
  // A record set aside may be mended and put back by hand: its id stays taken.
  for (const rejected_record& r : read.value->rejected)
    if (const auto id = id_from_text(rejected_id_text(r))) next_id_ = std::max(next_id_, *id + 1);
  return {};
}

std::optional<std::string> serve_world::set_aside(const std::vector<rejected_record>& rejected) {
  if (rejected.empty()) return std::nullopt;
  std::string lines;
  for (const rejected_record& r : rejected) {
    spdlog::error("world: {} (id {}) cannot be loaded; the rest of the world loads, and the record is kept in {}: {}",
                  r.path, rejected_id_text(r), rejected_file().string(), joined(r.problems));
    lines += rejected_line(r);
  }
  // On disk before world.json is saved without them.
  if (auto failed = append_durably(rejected_file(), lines)) return "cannot set aside unreadable computers: " + *failed;
  return std::nullopt;
}

std::uint64_t serve_world::first_unused_id() const {
  std::uint64_t first = specs_.empty() ? 1 : std::uint64_t{specs_.rbegin()->first} + 1;
  // Files still here (of a computer set aside, or removed by a version that kept them) keep
  // their id taken, so no new computer ever finds another's files.
  std::error_code error;
  for (std::filesystem::directory_iterator entry(data_dir_ / "computers", error), end; !error && entry != end;
       entry.increment(error)) {
    if (const auto id = id_from_text(entry->path().filename().string())) first = std::max(first, *id + 1);
  }
  return first;
}

std::optional<std::string> serve_world::save_if_changed() {
  if (!changed_) return std::nullopt;
  changed_ = false;  // a failed save is retried by the periodic one, not on every pass
  return save();
}

std::optional<std::string> serve_world::save() {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& [id, spec] : specs_) {
    const computer* c = sim_.find_computer(id);
    const auto where = sim_.net().placement_of(id);
    if (c == nullptr || !where) continue;
    records.push_back(world_record(spec, *where, c->label()));
  }
  if (auto failed = write_file_atomically(world_file(), world_document_text(std::move(records), next_id_)))
    return failed;
  // The saved world no longer has the removed computers: their files can go.
  for (const std::uint32_t id : std::exchange(removed_, {})) {
    std::error_code error;
    std::filesystem::remove_all(computer_dir(id), error);
    if (error) spdlog::error("world: cannot delete the files of removed computer {}: {}", id, error.message());
  }
  return std::nullopt;
}

computer* serve_world::create_computer(std::string label, placement where, std::vector<modem_spec> modems,
                                       std::string& error) {
  if (sim_.computers().size() >= computers_max_) {
    error = "the world is full (computers_max)";
    return nullptr;
  }
  if (next_id_ > scenario_computer_id_max) {
    error = "no computer id is left (ids go up to 2147483647 and are never given twice)";
    return nullptr;
  }
  if (auto problem = modems_problem(modems)) {
    error = std::move(*problem);
    return nullptr;
  }
  scenario_computer spec;
  spec.id = static_cast<std::uint32_t>(next_id_++);
  spec.label = normalise_label(label);
  spec.where = std::move(where);
  spec.modems = std::move(modems);
  computer& created = add(spec, false);
  changed_ = true;
  return &created;
}

void serve_world::on_removed(std::uint32_t id) {
  if (specs_.erase(id) == 0) return;
  removed_.push_back(id);
  changed_ = true;
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
