#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "world/radio.hpp"

namespace redrund {

enum class modem_kind : std::uint8_t { wireless, ender, wired };

// A modem attached to one side of a computer; `cable` names the wired network it is on.
struct modem_spec {
  int side = 0;
  modem_kind kind = modem_kind::wireless;
  std::string cable;
};

struct placement {
  position where;
  std::string dimension = "overworld";
};

struct modem_key {
  std::uint32_t computer = 0;
  int side = 0;
  auto operator<=>(const modem_key&) const = default;
};

// One receiver of a transmission; distance is absent across dimensions (CC's rule).
struct delivery {
  modem_key receiver;
  std::optional<double> distance;
};

// Positions, modems, open channels and CC's reachability rules (wireless range growing with
// altitude, ender modems across dimensions, wired cable networks). Lua-free and
// computer-free: it answers "who hears this packet", the world delivers. Sim thread only.
// Containers are ordered, so routes come out in (computer id, side) order every run.
class network {
 public:
  // CC's ModemState: at most 128 open channels per modem.
  static constexpr std::size_t open_channels_max = 128;
  enum class open_result : std::uint8_t { ok, too_many, no_modem };

  explicit network(radio_config radio) : radio_(radio) {}

  void place(std::uint32_t computer, placement p);
  std::optional<placement> placement_of(std::uint32_t computer) const;
  void attach(std::uint32_t computer, const modem_spec& spec);
  void detach(std::uint32_t computer, int side);
  void remove_computer(std::uint32_t computer);

  const modem_spec* modem(std::uint32_t computer, int side) const;
  std::vector<modem_spec> modems_of(std::uint32_t computer) const;

  open_result open(modem_key modem, std::uint16_t channel);
  void close(modem_key modem, std::uint16_t channel);
  void close_all(modem_key modem);
  bool is_open(modem_key modem, std::uint16_t channel) const;

  // Every modem that hears a packet sent by `sender` on `channel`: the channel open now,
  // reachable by CC's rules, never the sending modem itself.
  std::vector<delivery> route(modem_key sender, std::uint16_t channel) const;
  // Wired modems on the same cable as `modem` (other than it), for remote peripherals.
  std::vector<modem_key> cable_peers(modem_key modem) const;

  const radio_config& radio() const { return radio_; }

 private:
  struct modem_state {
    modem_spec spec;
    std::set<std::uint16_t> open_channels;
  };

  std::optional<delivery> reach(const modem_state& sender, const placement& from, modem_key receiver_key,
                                const modem_state& receiver) const;

  radio_config radio_;
  std::map<std::uint32_t, placement> placements_;
  std::map<modem_key, modem_state> modems_;
  // channel -> modems with it open: a transmission only visits modems that listen.
  std::map<std::uint16_t, std::set<modem_key>> listeners_;
};

}  // namespace redrund
