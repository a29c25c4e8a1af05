#include "world/modem_bus.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <string_view>

#include "computer/computer.hpp"

namespace redrund {
namespace {

using handler = peripheral_result (modem_bus::*)(modem_key, const value_list&);

struct method_entry {
  handler call;
  bool wired_only;
};

// Method tables are data: the names CC's modems expose, in CC's getMethods order.
const std::map<std::string_view, method_entry>& method_table() {
  static const std::map<std::string_view, method_entry> table = {
      {"open", {&modem_bus::open, false}},
      {"isOpen", {&modem_bus::is_open, false}},
      {"close", {&modem_bus::close, false}},
      {"closeAll", {&modem_bus::close_all, false}},
      {"transmit", {&modem_bus::transmit, false}},
      {"isWireless", {&modem_bus::is_wireless, false}},
      {"getNamesRemote", {&modem_bus::get_names_remote, true}},
      {"isPresentRemote", {&modem_bus::is_present_remote, true}},
      {"getTypeRemote", {&modem_bus::get_type_remote, true}},
      {"hasTypeRemote", {&modem_bus::has_type_remote, true}},
      {"getMethodsRemote", {&modem_bus::get_methods_remote, true}},
      {"callRemote", {&modem_bus::call_remote, true}},
      {"getNameLocal", {&modem_bus::get_name_local, true}},
  };
  return table;
}

// A remote computer on a cable answers these (turnOn/shutdown/reboot are not simulated).
constexpr const char* remote_computer_methods[] = {"getID", "getLabel", "isOn", "reboot", "shutdown", "turnOn"};

const char* kind_name(const value& v) {
  switch (v.type) {
    case value::kind::nil: return "nil";
    case value::kind::boolean: return "boolean";
    case value::kind::number: return "number";
    case value::kind::string: return "string";
    case value::kind::table: return "table";
  }
  return "nil";
}

const value& argument(const value_list& args, std::size_t index) {
  static const value nil_value;
  return index < args.items.size() ? args.items[index] : nil_value;
}

std::string bad_argument(std::size_t index, const char* expected, const value& got) {
  const char* actual = kind_name(got);
  // CC's LuaValues.getNumericType: a non-finite number is named by what it is.
  if (got.type == value::kind::number && std::isnan(got.number)) actual = "nan";
  if (got.type == value::kind::number && std::isinf(got.number)) actual = got.number > 0 ? "inf" : "-inf";
  return "bad argument #" + std::to_string(index + 1) + " (" + expected + " expected, got " + actual + ")";
}

// CC's parseChannel: a finite number, truncated, within 0..65535.
std::optional<std::uint16_t> parse_channel(const value_list& args, std::size_t index, std::string& error) {
  const value& v = argument(args, index);
  if (v.type != value::kind::number || !std::isfinite(v.number)) {
    error = bad_argument(index, "number", v);
    return std::nullopt;
  }
  const double channel = std::trunc(v.number);
  if (channel < 0 || channel > 65535) {
    error = "Expected number in range 0-65535";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(channel);
}

std::optional<std::string> parse_string(const value_list& args, std::size_t index, std::string& error) {
  const value& v = argument(args, index);
  if (v.type != value::kind::string) {
    error = bad_argument(index, "string", v);
    return std::nullopt;
  }
  return v.text;
}

peripheral_result single(value v) {
  peripheral_result r;
  r.results.items.push_back(std::move(v));
  return r;
}

peripheral_result string_list(const std::vector<std::string>& strings) {
  peripheral_result r;
  value list;
  list.type = value::kind::table;
  list.table = 0;
  r.results.tables.emplace_back();
  for (std::size_t i = 0; i < strings.size(); ++i)
    r.results.tables[0].entries.emplace_back(value::of_number(static_cast<double>(i + 1)), value::of_string(strings[i]));
  r.results.items.push_back(std::move(list));
  return r;
}

std::optional<power_action> power_method(std::string_view method) {
  if (method == "turnOn") return power_action::turn_on;
  if (method == "shutdown") return power_action::shutdown;
  if (method == "reboot") return power_action::reboot;
  return std::nullopt;
}

std::string remote_name(std::uint32_t computer) { return "computer_" + std::to_string(computer); }

}  // namespace

std::vector<std::string> modem_bus::names(std::uint32_t computer) const {
  std::vector<std::string> result;
  for (const modem_spec& spec : net_.modems_of(computer)) result.emplace_back(peripheral_sides[spec.side]);
  return result;
}

std::vector<std::string> modem_bus::types(std::uint32_t computer, std::string_view name) const {
  const int side = side_index(name);
  const modem_spec* spec = side < 0 ? nullptr : net_.modem(computer, side);
  if (spec == nullptr) return {};
  if (spec->kind == modem_kind::wired) return {"modem", "peripheral_hub"};
  return {"modem"};
}

std::vector<std::string> modem_bus::methods(std::uint32_t computer, std::string_view name) const {
  const int side = side_index(name);
  const modem_spec* spec = side < 0 ? nullptr : net_.modem(computer, side);
  if (spec == nullptr) return {};
  std::vector<std::string> result;
  for (const auto& [method, entry] : method_table())
    if (!entry.wired_only || spec->kind == modem_kind::wired) result.emplace_back(method);
  return result;
}

peripheral_result modem_bus::call(std::uint32_t computer, std::string_view name, std::string_view method,
                                  const value_list& arguments) {
  const int side = side_index(name);
  const modem_spec* spec = side < 0 ? nullptr : net_.modem(computer, side);
  if (spec == nullptr) return peripheral_result::failure("No peripheral attached");
  const auto found = method_table().find(method);
  if (found == method_table().end() || (found->second.wired_only && spec->kind != modem_kind::wired))
    return peripheral_result::failure("No such method " + std::string(method));
  return (this->*found->second.call)({computer, side}, arguments);
}

peripheral_result modem_bus::open(modem_key modem, const value_list& args) {
  std::string error;
  const auto channel = parse_channel(args, 0, error);
  if (!channel) return peripheral_result::failure(error);
  if (net_.open(modem, *channel) == network::open_result::too_many)
    return peripheral_result::failure("Too many open channels");
  return {};
}

peripheral_result modem_bus::is_open(modem_key modem, const value_list& args) {
  std::string error;
  const auto channel = parse_channel(args, 0, error);
  if (!channel) return peripheral_result::failure(error);
  return single(value::of_boolean(net_.is_open(modem, *channel)));
}

peripheral_result modem_bus::close(modem_key modem, const value_list& args) {
  std::string error;
  const auto channel = parse_channel(args, 0, error);
  if (!channel) return peripheral_result::failure(error);
  net_.close(modem, *channel);
  return {};
}

peripheral_result modem_bus::close_all(modem_key modem, const value_list&) {
  net_.close_all(modem);
  return {};
}

peripheral_result modem_bus::transmit(modem_key modem, const value_list& args) {
  std::string error;
  const auto channel = parse_channel(args, 0, error);
  if (!channel) return peripheral_result::failure(error);
  const auto reply = parse_channel(args, 1, error);
  if (!reply) return peripheral_result::failure(error);
  ++stats_.transmissions;
  // One template event; each receiver gets its own copy (and, once pushed, fresh tables).
  event message{"modem_message", {}};
  message.args.tables = args.tables;
  message.args.items = {value{}, value::of_number(*channel), value::of_number(*reply), argument(args, 2)};
  const tick_t now = directory_.now_ticks();
  for (const delivery& d : net_.route(modem, *channel)) {
    const auto verdict = faults_.judge(modem.computer, d.receiver.computer, now);
    if (!verdict.deliver) continue;
    event copy = message;
    copy.args.items[0] = value::of_string(peripheral_sides[d.receiver.side]);
    if (d.distance) copy.args.items.push_back(value::of_number(*d.distance));
    ++stats_.deliveries[static_cast<int>(net_.modem(d.receiver.computer, d.receiver.side)->kind)];
    directory_.deliver(d.receiver.computer, std::move(copy), verdict.delay_ticks);
  }
  return {};
}

peripheral_result modem_bus::is_wireless(modem_key modem, const value_list&) {
  return single(value::of_boolean(net_.modem(modem.computer, modem.side)->kind != modem_kind::wired));
}

std::int64_t modem_bus::remote_computer(modem_key modem, std::string_view name) const {
  for (const modem_key& peer : net_.cable_peers(modem))
    if (peer.computer != modem.computer && remote_name(peer.computer) == name) return peer.computer;
  return -1;
}

peripheral_result modem_bus::get_names_remote(modem_key modem, const value_list&) {
  std::vector<std::string> names;
  for (const modem_key& peer : net_.cable_peers(modem)) {
    const std::string name = remote_name(peer.computer);
    if (peer.computer != modem.computer && (names.empty() || names.back() != name)) names.push_back(name);
  }
  return string_list(names);
}

peripheral_result modem_bus::is_present_remote(modem_key modem, const value_list& args) {
  std::string error;
  const auto name = parse_string(args, 0, error);
  if (!name) return peripheral_result::failure(error);
  return single(value::of_boolean(remote_computer(modem, *name) >= 0));
}

peripheral_result modem_bus::get_type_remote(modem_key modem, const value_list& args) {
  std::string error;
  const auto name = parse_string(args, 0, error);
  if (!name) return peripheral_result::failure(error);
  if (remote_computer(modem, *name) < 0) return single(value{});
  return single(value::of_string("computer"));
}

peripheral_result modem_bus::has_type_remote(modem_key modem, const value_list& args) {
  std::string error;
  const auto name = parse_string(args, 0, error);
  if (!name) return peripheral_result::failure(error);
  const auto type = parse_string(args, 1, error);
  if (!type) return peripheral_result::failure(error);
  if (remote_computer(modem, *name) < 0) return single(value{});
  return single(value::of_boolean(*type == "computer"));
}

peripheral_result modem_bus::get_methods_remote(modem_key modem, const value_list& args) {
  std::string error;
  const auto name = parse_string(args, 0, error);
  if (!name) return peripheral_result::failure(error);
  if (remote_computer(modem, *name) < 0) return single(value{});
  return string_list({std::begin(remote_computer_methods), std::end(remote_computer_methods)});
}

peripheral_result modem_bus::call_remote(modem_key modem, const value_list& args) {
  std::string error;
  const auto name = parse_string(args, 0, error);
  if (!name) return peripheral_result::failure(error);
  const auto method = parse_string(args, 1, error);
  if (!method) return peripheral_result::failure(error);
  const std::int64_t id = remote_computer(modem, *name);
  computer* target = id < 0 ? nullptr : directory_.find_computer(static_cast<std::uint32_t>(id));
  if (target == nullptr) return peripheral_result::failure("No peripheral: " + *name);
  if (*method == "getID") return single(value::of_number(target->id()));
  if (*method == "isOn") return single(value::of_boolean(target->is_on()));
  if (*method == "getLabel")
    return single(target->label().empty() ? value{} : value::of_string(target->label()));
  if (const auto action = power_method(*method)) {
    directory_.request_power(target->id(), *action);
    return {};
  }
  return peripheral_result::failure("No such method " + *method);
}

peripheral_result modem_bus::get_name_local(modem_key modem, const value_list&) {
  return single(value::of_string(remote_name(modem.computer)));
}

}  // namespace redrund
