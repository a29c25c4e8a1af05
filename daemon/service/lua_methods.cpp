// Methods that act on a computer: each runs a small chunk in the computer through its own
// Lua APIs (so the client sees exactly what a CC program would), with the call's parameters
// as the chunk's arguments. The table is data; run_lua_method is the only code path.

#include <map>

#include "computer/machine.hpp"
#include "service/method_table.hpp"

namespace redrund {
namespace {

using kind = lua_argument::kind;
using nlohmann::json;
using proto::error_code;

constexpr double channel_max = 65535;

// RedRun task ids count up from 1 in each computer.
constexpr double task_id_max = 2147483647;

const lua_argument side{"side", kind::string};
const lua_argument channel{"channel", kind::integer, true, 0, channel_max};
const lua_argument path{"path", kind::string};
const lua_argument protocol{"protocol", kind::string, false};

}  // namespace

// Each method's chunk and arguments, in proto/README.md's order.
const std::vector<method_entry>& lua_method_list() {
  static const std::vector<method_entry> methods = {
      {"lua.eval", &rpc_service::run_lua_method, "", {{"code", kind::chunk}, {"args", kind::lua_values, false}},
       lua_result::all_values},
      {"modem.open", &rpc_service::run_lua_method, "local s, c = ... return peripheral.call(s, 'open', c)",
       {side, channel}},
      {"modem.close", &rpc_service::run_lua_method, "local s, c = ... return peripheral.call(s, 'close', c)",
       {side, channel}},
      {"modem.transmit", &rpc_service::run_lua_method,
       "local s, c, r, m = ... return peripheral.call(s, 'transmit', c, r, m)",
       {side, channel, {"reply_channel", kind::integer, true, 0, channel_max}, {"message", kind::lua_value, false}}},
      {"rednet.open", &rpc_service::run_lua_method, "rednet.open(...)", {side}},
      {"rednet.close", &rpc_service::run_lua_method, "rednet.close(...)", {{"side", kind::string, false}}},
      {"rednet.send", &rpc_service::run_lua_method, "return rednet.send(...)",
       {{"recipient", kind::integer, true, 0, computer_id_max}, {"message", kind::lua_value, false}, protocol}},
      {"rednet.broadcast", &rpc_service::run_lua_method, "rednet.broadcast(...)",
       {{"message", kind::lua_value, false}, protocol}},
      {"rednet.host", &rpc_service::run_lua_method, "rednet.host(...)", {{"protocol", kind::string}, {"hostname", kind::string}}},
      {"rednet.unhost", &rpc_service::run_lua_method, "rednet.unhost(...)", {{"protocol", kind::string}}},
      {"rednet.lookup", &rpc_service::run_lua_method, "return { rednet.lookup(...) }",
       {{"protocol", kind::string}, {"hostname", kind::string, false}}},
      {"rednet.receive", &rpc_service::run_lua_method,
       "local id, m, p = rednet.receive(...) if id then return { sender = id, message = m, protocol = p } end",
       {protocol, {"timeout", kind::number, false, 0, 3600}}},
      {"gps.locate", &rpc_service::run_lua_method,
       "local x, y, z = gps.locate(...) if x then return { x = x, y = y, z = z } end",
       {{"timeout", kind::number, false, 0, 3600}}},
      // task_start appends the task's key (task_store) as the last argument.
      {"task.start", &rpc_service::task_start,
       "local name, command, restart, key = ... return require('redrun').supervise{ name = name, "
       "command = command, restart = restart or 'never', key = key }",
       {{"name", kind::string}, {"command", kind::string}, {"restart", kind::string, false}}},
      {"task.list", &rpc_service::run_lua_method, "return require('redrun').list()", {}},
      {"task.status", &rpc_service::run_lua_method, "return require('redrun').status(...)",
       {{"task", kind::integer, true, 1, task_id_max}}},
      {"task.kill", &rpc_service::run_lua_method, "require('redrun').kill(...)", {{"task", kind::integer, true, 1, task_id_max}}},
      {"task.terminate", &rpc_service::run_lua_method, "require('redrun').terminate(...)",
       {{"task", kind::integer, true, 1, task_id_max}}},
      {"fs.read", &rpc_service::run_lua_method,
       "local h, e = fs.open(..., 'rb') if not h then error(e, 0) end local d = h.readAll() h.close() return d or ''",
       {path}},
      {"fs.write", &rpc_service::run_lua_method,
       "local p, d = ... local h, e = fs.open(p, 'wb') if not h then error(e, 0) end h.write(d) h.close()",
       {path, {"data", kind::lua_value}}},
      {"fs.list", &rpc_service::run_lua_method, "return fs.list(...)", {path}},
      {"fs.delete", &rpc_service::run_lua_method, "fs.delete(...)", {path}},
      {"event.queue", &rpc_service::run_lua_method, "os.queueEvent(...)",
       {{"name", kind::string}, {"args", kind::lua_values, false}}},
  };
  return methods;
}

namespace {

// Reads one parameter into the chunk's argument list (or, for the chunk itself, into `chunk`);
// false when it is missing or invalid.
bool read_argument(proto::params_reader& params, const lua_argument& a, std::string& chunk, value_list& out,
                   const proto::lua_json_limits& limits) {
  value v;
  switch (a.type) {
    case kind::chunk: {
      auto s = params.require_string(a.field);
      if (s) chunk = std::move(*s);
      return params.ok();
    }
    case kind::string: {
      auto s = a.required ? params.require_string(a.field) : params.optional_string(a.field);
      if (s) v = value::of_string(std::move(*s));
      break;
    }
    case kind::integer: {
      const auto n = a.required ? params.require_int(a.field, static_cast<std::int64_t>(a.min), static_cast<std::int64_t>(a.max))
                                : params.optional_int(a.field, static_cast<std::int64_t>(a.min), static_cast<std::int64_t>(a.max));
      if (n) v = value::of_number(static_cast<double>(*n));
      break;
    }
    case kind::number: {
      const auto n = a.required ? params.require_number(a.field, a.min, a.max) : params.optional_number(a.field, a.min, a.max);
      if (n) v = value::of_number(*n);
      break;
    }
    case kind::boolean: {
      const auto b = a.required ? params.require_bool(a.field) : params.optional_bool(a.field);
      if (b) v = value::of_boolean(*b);
      break;
    }
    case kind::lua_values: {
      // The last argument, after arguments that hold no tables (checked by the method spec
      // test): its values follow them as separate arguments, nils included.
      auto decoded = params.optional_values(a.field, limits);
      if (decoded) {
        decoded->items.insert(decoded->items.begin(), std::make_move_iterator(out.items.begin()),
                              std::make_move_iterator(out.items.end()));
        out = std::move(*decoded);
      }
      return params.ok();
    }
    case kind::lua_value: {
      const nlohmann::json* raw = a.required ? params.require(a.field) : params.optional(a.field);
      if (raw != nullptr) {
        auto decoded = proto::decode_value(*raw, out, limits);
        if (!decoded)
          params.fail(proto::rpc_error{error_code::invalid_params, decoded.error().describe(params.path_of(a.field)), nullptr});
        else v = std::move(decoded.value());
      }
      break;
    }
  }
  out.items.push_back(std::move(v));
  return params.ok();
}

}  // namespace

const method_entry* find_method(std::string_view name) {
  static const std::map<std::string_view, const method_entry*> index = [] {
    std::map<std::string_view, const method_entry*> built;
    for (const method_entry& m : lua_method_list()) built.emplace(m.name, &m);
    for (const method_entry& m : session_method_list()) built.emplace(m.name, &m);
    return built;
  }();
  const auto found = index.find(name);
  return found == index.end() ? nullptr : found->second;
}

std::optional<rpc_service::lua_call> rpc_service::prepare_lua_call(call& c) {
  computer* target = attached_computer(c);
  if (target == nullptr) return std::nullopt;
  const method_entry& entry = *c.entry;
  lua_call run{target, std::string(entry.code), {}};
  for (const lua_argument& a : entry.arguments)
    if (!read_argument(c.params, a, run.code, run.arguments, limits_.values)) break;
  if (!c.params.ok()) {
    fail(c, c.params.error());
    return std::nullopt;
  }
  return run;
}

void rpc_service::start_lua_call(call& c, lua_call run, std::function<void(bool ok)> finished) {
  session& s = sessions_[c.client];
  if (s.pending_calls >= limits_.pending_calls_max) {
    if (finished) finished(false);
    return fail(c, {error_code::overloaded, "too many calls waiting on Lua for this client", nullptr});
  }
  ++s.pending_calls;
  const client_id client = c.client;
  const lua_result result = c.entry->result;
  auto shared = std::make_shared<call>(std::move(c));
  run.target->start_eval(run.code, run.arguments,
                         [this, shared, client, result, finished = std::move(finished)](eval_outcome outcome) {
    if (const auto found = sessions_.find(client); found != sessions_.end()) --found->second.pending_calls;
    if (finished) finished(outcome.ok);
    if (!outcome.ok) return fail(*shared, {error_code::lua_error, outcome.error, nullptr});
    auto encoded = result == lua_result::all_values
                       ? proto::encode_values(outcome.values, limits_.values)
                       : (outcome.values.items.empty() ? proto::result<json, proto::lua_json_error>(json())
                                                       : proto::encode_value(outcome.values, outcome.values.items[0], limits_.values));
    if (!encoded) return fail(*shared, {error_code::lua_error, "result: " + encoded.error().describe(), nullptr});
    respond(*shared, std::move(encoded.value()));
  });
}

void rpc_service::run_lua_method(call& c) {
  if (auto run = prepare_lua_call(c)) start_lua_call(c, std::move(*run));
}

// task.start: the task is kept (task_store) before it starts, so that its key reaches RedRun
// and comes back when it ends; a start that fails is forgotten again.
void rpc_service::task_start(call& c) {
  auto run = prepare_lua_call(c);
  if (!run) return;
  const std::vector<value>& given = run->arguments.items;  // name, command, restart
  const std::string restart = given[2].type == value::kind::string ? given[2].text : "never";
  if (restart != "never" && restart != "on-error")
    return fail(c, proto::rpc_error::invalid_params("params.restart", "expected \"never\" or \"on-error\""));
  const std::uint32_t computer_id = run->target->id();
  const std::uint32_t key = tasks_.keep_task(computer_id, boot_task{given[0].text, given[1].text, restart, 0});
  run->arguments.items.push_back(key == 0 ? value{} : value::of_number(key));
  start_lua_call(c, std::move(*run), [this, computer_id, key](bool ok) {
    if (!ok && key != 0) tasks_.forget_task(computer_id, key);
  });
}

}  // namespace redrund
