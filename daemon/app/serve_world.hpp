#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "app/world_document.hpp"
#include "service/rpc_service.hpp"
#include "world/simulation.hpp"

namespace redrund {

// The served world's computers and their on-disk state: each computer's files live in
// DATA/computers/<id>/ (written by its fs API), and the world itself (ids, labels, positions,
// modems, boot tasks, the next id) in DATA/world.json, a scenario document replaced
// atomically (app/world_document.hpp). A computer record that cannot be read at load is set
// aside in DATA/world.rejected.jsonl and the rest loads. Ids are never given out twice: a
// removed computer's files go with it, and its id stays used. Sim thread only.
// Tasks clients start with task.start are kept as boot tasks of their computer (task_store).
class serve_world final : public computer_factory, public task_store {
 public:
  serve_world(simulation& sim, std::filesystem::path data_dir, output_sink& output, std::size_t computers_max,
              std::uint64_t seed, std::uint64_t slice_instructions = 0);
  ~serve_world() override;
  serve_world(const serve_world&) = delete;
  serve_world& operator=(const serve_world&) = delete;

  // Creates the world's computers: from DATA/world.json when it exists (a restart), else from
  // the configured world (first start, whose files are written then), and saves the world,
  // so a data directory that cannot be written is found at once. Returns errors.
  std::vector<std::string> load(const scenario& configured);
  // Writes DATA/world.json, then deletes the files of computers removed since the last save;
  // returns an error message on failure.
  std::optional<std::string> save();
  // Saves when computers or kept tasks changed since the last save (the serve loop calls it
  // after each pass, so a burst of changes costs one write).
  std::optional<std::string> save_if_changed();
  void set_observer(std::function<void(computer&)> on_created) { on_created_ = std::move(on_created); }

  computer* create_computer(std::string label, placement where, std::vector<modem_spec> modems,
                            std::string& error) override;
  std::filesystem::path world_file() const { return data_dir_ / "world.json"; }
  std::filesystem::path rejected_file() const { return data_dir_ / "world.rejected.jsonl"; }

  std::uint32_t keep_task(std::uint32_t computer_id, boot_task task) override;
  void forget_task(std::uint32_t computer_id, std::uint32_t key) override;

 private:
  computer& add(const scenario_computer& spec, bool first_start);
  std::vector<std::string> load_saved(const std::string& text);
  std::optional<std::string> set_aside(const std::vector<rejected_record>& rejected);
  void on_removed(std::uint32_t id);
  std::filesystem::path computer_dir(std::uint32_t id) const { return data_dir_ / "computers" / std::to_string(id); }
  // One past the highest id any computer, kept or set aside, has had here.
  std::uint64_t first_unused_id() const;

  simulation& sim_;
  std::filesystem::path data_dir_;
  output_sink& output_;
  std::size_t computers_max_;
  std::uint64_t seed_;
  std::uint64_t slice_instructions_;  // preemption for computers whose spec does not set it
  std::map<std::uint32_t, scenario_computer> specs_;  // what to save for each computer
  std::uint64_t next_id_ = 1;                         // the id create_computer gives next
  std::vector<std::uint32_t> removed_;                // whose files go after the next save
  std::uint32_t next_task_key_ = 1;                   // boot_task::key, unique in this run
  bool changed_ = false;                              // since the last save_if_changed
  std::function<void(computer&)> on_created_;
};

}  // namespace redrund
