#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/scenario.hpp"
#include "service/rpc_service.hpp"
#include "world/simulation.hpp"

namespace redrund {

// The served world's computers and their on-disk state: each computer's files live in
// DATA/computers/<id>/ (written by its fs API as programs close files), and the world itself
// (ids, labels, positions, modems, boot tasks) in DATA/world.json, a scenario document
// replaced atomically. Sim thread only.
class serve_world final : public computer_factory {
 public:
  serve_world(simulation& sim, std::filesystem::path data_dir, output_sink& output, std::size_t computers_max,
              std::uint64_t seed);

  // Creates the world's computers: from DATA/world.json when it exists (a restart), else from
  // the configured world (first start, whose files are written then). Returns errors.
  std::vector<std::string> load(const scenario& configured);
  // Writes DATA/world.json; returns an error message on failure.
  std::optional<std::string> save() const;
  void set_observer(std::function<void(computer&)> on_created) { on_created_ = std::move(on_created); }

  computer* create_computer(std::string label, placement where, std::vector<modem_spec> modems,
                            std::string& error) override;
  std::filesystem::path world_file() const { return data_dir_ / "world.json"; }

 private:
  computer& add(const scenario_computer& spec, bool first_start);

  simulation& sim_;
  std::filesystem::path data_dir_;
  output_sink& output_;
  std::size_t computers_max_;
  std::uint64_t seed_;
  std::map<std::uint32_t, scenario_computer> specs_;  // what to save for each computer
  std::function<void(computer&)> on_created_;
};

}  // namespace redrund
