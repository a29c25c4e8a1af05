// Session and world methods: attaching to computers (and creating them), describing them,
// and the admin-only world changes.

#include <algorithm>

#include "service/method_table.hpp"

namespace redrund {
namespace {

using nlohmann::json;
using proto::error_code;

const char* kind_name(modem_kind kind) {
  switch (kind) {
    case modem_kind::wireless: return "wireless";
    case modem_kind::ender: return "ender";
    case modem_kind::wired: return "wired";
  }
  return "wireless";
}

// create.modems: [{"side": "top", "type": "wireless" | "ender" | "wired", "cable": "..."}], as in
// scenarios. A problem is kept in `create` (the reader of params.create), naming the field.
std::vector<modem_spec> read_modems(proto::params_reader& create) {
  std::vector<modem_spec> modems;
  const json* raw = create.optional("modems");
  if (raw == nullptr) return modems;
  if (!raw->is_array() || raw->size() > 6) {
    create.fail("modems", "expected an array of at most 6 modems");
    return modems;
  }
  for (std::size_t i = 0; i < raw->size() && create.ok(); ++i) {
    proto::params_reader modem((*raw)[i], create.path_of("modems") + "[" + std::to_string(i) + "]");
    const auto side = modem.require_string("side");
    const auto type = modem.optional_string("type").value_or("wireless");
    modem_spec spec{side ? side_index(*side) : -1, modem_kind::wireless, modem.optional_string("cable").value_or("")};
    if (spec.side < 0) modem.fail("side", "expected one of bottom, top, back, front, right, left");
    if (type == "ender") spec.kind = modem_kind::ender;
    else if (type == "wired") spec.kind = modem_kind::wired;
    else if (type != "wireless") modem.fail("type", "expected wireless, ender or wired");
    if (spec.kind == modem_kind::wired && spec.cable.empty()) modem.fail("cable", "a wired modem needs a cable name");
    for (const modem_spec& earlier : modems)
      if (spec.side >= 0 && earlier.side == spec.side) modem.fail("side", "another modem is on side " + *side);
    if (!modem.ok()) create.fail(modem.error());
    modems.push_back(std::move(spec));
  }
  return modems;
}

// computer.attach's `events`: the names of the events to notify (none or empty: all). Kept per
// attachment for as long as it lasts, so bounded.
constexpr std::size_t event_filter_names_max = 256;
constexpr std::size_t event_name_bytes_max = 256;

std::set<std::string> read_event_filter(proto::params_reader& params) {
  std::set<std::string> names;
  const json* events = params.optional("events");
  if (events == nullptr) return names;
  const bool all_names = events->is_array() && events->size() <= event_filter_names_max &&
                         std::all_of(events->begin(), events->end(), [](const json& name) {
                           return name.is_string() && name.get_ref<const std::string&>().size() <= event_name_bytes_max;
                         });
  if (!all_names) params.fail("events", "expected an array of at most 256 event names of at most 256 bytes");
  else for (const json& name : *events) names.insert(name.get<std::string>());
  return names;
}

json describe(const computer& c, const network& net) {
  json modems = json::array();
  for (const modem_spec& m : net.modems_of(c.id())) {
    json entry{{"side", peripheral_sides[m.side]}, {"type", kind_name(m.kind)}};
    if (m.kind == modem_kind::wired) entry["cable"] = m.cable;
    modems.push_back(std::move(entry));
  }
  json result{{"id", c.id()}, {"label", c.label().empty() ? json() : json(c.label())}, {"on", c.is_on()}, {"modems", modems}};
  if (const auto where = net.placement_of(c.id())) {
    result["position"] = {where->where.x, where->where.y, where->where.z};
    result["dimension"] = where->dimension;
  }
  return result;
}

}  // namespace

const std::vector<method_entry>& session_method_list() {
  static const std::vector<method_entry> methods = {
      {"computer.attach", &rpc_service::computer_attach, {}, {}, lua_result::first_value},
      {"computer.info", &rpc_service::computer_info, {}, {}, lua_result::first_value},
      {"world.list", &rpc_service::world_list, {}, {}, lua_result::first_value},
      {"world.move", &rpc_service::world_move, {}, {}, lua_result::first_value},
      {"world.remove", &rpc_service::world_remove, {}, {}, lua_result::first_value},
  };
  return methods;
}

void rpc_service::computer_attach(call& c) {
  // Read raw: a token of the wrong type is a wrong token (-32002), not a malformed call.
  const json* given = c.params.optional("token");
  const std::string* token = given != nullptr && given->is_string() ? given->get_ptr<const std::string*>() : nullptr;
  const bool admin = !tokens_.admin.empty() && token && *token == tokens_.admin;
  if ((given != nullptr && token == nullptr) || (!admin && !tokens_.client.empty() && (!token || *token != tokens_.client)))
    return fail(c, {error_code::unauthorized, "a valid token is needed to attach (params.token)", nullptr});
  // Read before anything changes, so that a call with a bad filter creates and attaches nothing.
  std::set<std::string> events = read_event_filter(c.params);
  if (!c.params.ok()) return fail(c, c.params.error());
  session& s = sessions_[c.client];
  const auto too_many = [&](std::uint32_t id) {
    return s.attached.size() >= limits_.attachments_max && s.attached.count(id) == 0;
  };
  computer* target = nullptr;
  if (const json* create = c.params.optional("create")) {
    // A new computer would be one attachment more: refused before it exists.
    if (too_many(UINT32_MAX)) return fail(c, {error_code::overloaded, "too many attachments for this client", nullptr});
    proto::params_reader spec(*create, c.params.path_of("create"));
    const auto label = spec.optional_string("label");
    const auto position = spec.require_vec3("position");
    auto modems = read_modems(spec);
    if (!spec.ok()) return fail(c, spec.error());
    std::string error;
    target = factory_.create_computer(label.value_or(""), placement{{(*position)[0], (*position)[1], (*position)[2]}, "overworld"},
                                      std::move(modems), error);
    if (target == nullptr) return fail(c, {error_code::overloaded, error, nullptr});
  } else if (const auto id = c.params.optional_int("id", 0, computer_id_max)) {
    target = sim_.find_computer(static_cast<std::uint32_t>(*id));
  } else if (const auto label = c.params.optional_string("label")) {
    for (const auto& [candidate_id, candidate] : sim_.computers())
      if (candidate->label() == *label) target = candidate.get();
  } else if (c.params.ok()) {
    c.params.fail("id", "expected id, label or create");
  }
  if (!c.params.ok()) return fail(c, c.params.error());
  if (target == nullptr) return fail(c, {error_code::not_found, "no such computer", nullptr});
  if (too_many(target->id())) return fail(c, {error_code::overloaded, "too many attachments for this client", nullptr});
  s.attached[target->id()].events = std::move(events);
  s.authorized = true;
  respond(c, describe(*target, sim_.net()));
}

void rpc_service::computer_info(call& c) {
  if (computer* target = attached_computer(c)) {
    json info = describe(*target, sim_.net());
    info["memory_bytes"] = target->memory_bytes();
    info["events_dropped"] = target->queue().dropped();
    info["events_queued"] = target->queue().size();
    respond(c, std::move(info));
  }
}

void rpc_service::world_list(call& c) {
  json computers = json::array();
  for (const auto& [id, computer] : sim_.computers()) computers.push_back(describe(*computer, sim_.net()));
  respond(c, json{{"computers", std::move(computers)}, {"tick", sim_.clock().now_ticks}});
}

void rpc_service::world_move(call& c) {
  if (!is_admin(c)) return;
  const auto id = c.params.require_int("id", 0, computer_id_max);
  const auto position = c.params.require_vec3("position");
  const auto dimension = c.params.optional_string("dimension");
  if (dimension && dimension->empty()) c.params.fail("dimension", "expected a dimension name");
  if (!c.params.ok()) return fail(c, c.params.error());
  if (sim_.find_computer(static_cast<std::uint32_t>(*id)) == nullptr)
    return fail(c, {error_code::not_found, "no such computer", nullptr});
  sim_.move_computer(static_cast<std::uint32_t>(*id),
                     placement{{(*position)[0], (*position)[1], (*position)[2]}, dimension.value_or("overworld")});
  respond(c, true);
}

void rpc_service::world_remove(call& c) {
  if (!is_admin(c)) return;
  const auto id = c.params.require_int("id", 0, computer_id_max);
  if (!c.params.ok()) return fail(c, c.params.error());
  if (sim_.find_computer(static_cast<std::uint32_t>(*id)) == nullptr)
    return fail(c, {error_code::not_found, "no such computer", nullptr});
  for (auto& [client, s] : sessions_) s.attached.erase(static_cast<std::uint32_t>(*id));
  sim_.remove_computer(static_cast<std::uint32_t>(*id));
  respond(c, true);
}

}  // namespace redrund
