#include "world/network.hpp"

namespace redrund {

void network::place(std::uint32_t computer, placement p) { placements_[computer] = std::move(p); }

std::optional<placement> network::placement_of(std::uint32_t computer) const {
  const auto found = placements_.find(computer);
  if (found == placements_.end()) return std::nullopt;
  return found->second;
}

void network::attach(std::uint32_t computer, const modem_spec& spec) {
  detach(computer, spec.side);
  modems_[{computer, spec.side}] = modem_state{spec, {}};
}

void network::detach(std::uint32_t computer, int side) {
  const modem_key key{computer, side};
  if (modems_.find(key) == modems_.end()) return;
  close_all(key);
  modems_.erase(key);
}

void network::remove_computer(std::uint32_t computer) {
  for (int side = 0; side < 6; ++side) detach(computer, side);
  placements_.erase(computer);
}

const modem_spec* network::modem(std::uint32_t computer, int side) const {
  const auto found = modems_.find({computer, side});
  return found == modems_.end() ? nullptr : &found->second.spec;
}

std::vector<modem_spec> network::modems_of(std::uint32_t computer) const {
  std::vector<modem_spec> result;
  for (auto it = modems_.lower_bound({computer, 0}); it != modems_.end() && it->first.computer == computer; ++it)
    result.push_back(it->second.spec);
  return result;
}

network::open_result network::open(modem_key modem, std::uint16_t channel) {
  const auto found = modems_.find(modem);
  if (found == modems_.end()) return open_result::no_modem;
  auto& channels = found->second.open_channels;
  if (channels.count(channel) != 0) return open_result::ok;  // re-opening does nothing
  if (channels.size() >= open_channels_max) return open_result::too_many;
  channels.insert(channel);
  listeners_[channel].insert(modem);
  return open_result::ok;
}

void network::close(modem_key modem, std::uint16_t channel) {
  const auto found = modems_.find(modem);
  if (found == modems_.end() || found->second.open_channels.erase(channel) == 0) return;
  auto& listening = listeners_[channel];
  listening.erase(modem);
  if (listening.empty()) listeners_.erase(channel);
}

void network::close_all(modem_key modem) {
  const auto found = modems_.find(modem);
  if (found == modems_.end()) return;
  const auto channels = found->second.open_channels;
  for (const std::uint16_t channel : channels) close(modem, channel);
}

bool network::is_open(modem_key modem, std::uint16_t channel) const {
  const auto found = modems_.find(modem);
  return found != modems_.end() && found->second.open_channels.count(channel) != 0;
}

std::optional<delivery> network::reach(const modem_state& sender, const placement& from, modem_key receiver_key,
                                       const modem_state& receiver) const {
  const auto to = placements_.find(receiver_key.computer);
  if (to == placements_.end()) return std::nullopt;
  const bool same_dimension = from.dimension == to->second.dimension;
  const std::optional<double> distance =
      same_dimension ? std::optional<double>(distance_between(from.where, to->second.where)) : std::nullopt;
  const modem_kind s = sender.spec.kind, r = receiver.spec.kind;
  if (s == modem_kind::wired || r == modem_kind::wired) {
    // Cable networks are their own medium: every modem on the same cable hears, at any range.
    if (s != r || sender.spec.cable != receiver.spec.cable) return std::nullopt;
    return delivery{receiver_key, distance};
  }
  if (s == modem_kind::ender || r == modem_kind::ender) return delivery{receiver_key, distance};
  if (!same_dimension) return std::nullopt;
  // Range is symmetrical: the larger of the two modems' ranges (a high modem hears far).
  const double range = std::max(wireless_range(radio_, from.where.y), wireless_range(radio_, to->second.where.y));
  if (*distance > range) return std::nullopt;
  return delivery{receiver_key, distance};
}

std::vector<delivery> network::route(modem_key sender, std::uint16_t channel) const {
  std::vector<delivery> result;
  const auto sender_state = modems_.find(sender);
  const auto from = placements_.find(sender.computer);
  const auto listening = listeners_.find(channel);
  if (sender_state == modems_.end() || from == placements_.end() || listening == listeners_.end()) return result;
  for (const modem_key& key : listening->second) {
    if (key == sender) continue;  // a modem never hears itself (a second modem can)
    if (auto d = reach(sender_state->second, from->second, key, modems_.at(key))) result.push_back(*d);
  }
  return result;
}

std::vector<modem_key> network::cable_peers(modem_key modem) const {
  std::vector<modem_key> peers;
  const auto self = modems_.find(modem);
  if (self == modems_.end() || self->second.spec.kind != modem_kind::wired) return peers;
  for (const auto& [key, state] : modems_)
    if (key != modem && state.spec.kind == modem_kind::wired && state.spec.cable == self->second.spec.cable)
      peers.push_back(key);
  return peers;
}

}  // namespace redrund
