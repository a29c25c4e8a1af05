#include "service/rpc_service.hpp"

#include "service/method_table.hpp"

#include <cmath>

namespace redrund {

using nlohmann::json;
using proto::error_code;
using proto::rpc_error;

// The answers owed for one inbound frame. A frame's calls may finish at different times
// (Lua can wait for events), so the reply is sent when the last one is in: one response,
// or for a batch one array (JSON-RPC 2.0 §6).
struct pending_reply {
  rpc_service* service = nullptr;
  client_id client = 0;
  bool is_batch = false;
  std::size_t outstanding = 0;
  std::vector<json> responses;

  void finish(json response) {
    if (!response.is_null()) responses.push_back(std::move(response));
    if (--outstanding > 0) return;
    std::string text = proto::encode_reply(is_batch, std::move(responses));
    if (!text.empty()) service->send_text(client, std::move(text));
  }
};

rpc_service::rpc_service(simulation& sim, client_outbox& outbox, computer_factory& factory, task_store& tasks,
                         access_tokens tokens, service_limits limits)
    : sim_(sim), outbox_(outbox), factory_(factory), tasks_(tasks), tokens_(std::move(tokens)), limits_(limits) {}

void rpc_service::on_open(client_id client) { sessions_[client]; }

void rpc_service::on_close(client_id client) { sessions_.erase(client); }

void rpc_service::send_text(client_id client, std::string text) {
  if (sessions_.count(client) == 0) return;  // it left while Lua was working for it
  outbox_.send(client, std::move(text));
}

void rpc_service::on_protocol_error(client_id client, error_code code, std::string_view what) {
  ++stats_.errors;
  send_text(client, proto::encode_reply(false, {proto::make_error(nullptr, rpc_error{code, std::string(what), nullptr})}));
}

void rpc_service::announce_shutdown() {
  const std::string text = proto::dump_json(proto::make_notification("shutdown", json{{"reason", "the daemon is stopping"}}));
  for (const auto& [client, s] : sessions_) outbox_.send(client, text);
}

void rpc_service::on_message(client_id client, std::string_view text) {
  on_frame(client, proto::decode_frame(text, limits_.rpc));
}

void rpc_service::on_frame(client_id client, proto::incoming_frame frame) {
  auto reply = std::make_shared<pending_reply>();
  reply->service = this;
  reply->client = client;
  reply->is_batch = frame.is_batch;
  reply->outstanding = frame.requests.size() + frame.responses.size() + 1;  // +1: held until dispatched
  stats_.errors += frame.responses.size();
  for (json& response : frame.responses) reply->finish(std::move(response));
  for (proto::request& request : frame.requests) dispatch(client, std::move(request), reply);
  reply->finish(nullptr);
}

void rpc_service::dispatch(client_id client, proto::request request, std::shared_ptr<pending_reply> reply) {
  ++stats_.requests;
  call c{nullptr, client, std::move(reply), request.id.value_or(nullptr), request.is_notification(),
         proto::params_reader(request.params)};
  if (!request.params.is_null() && !request.params.is_object()) {
    fail(c, rpc_error::invalid_params("params", "expected an object of named parameters"));
    return;
  }
  const method_entry* method = find_method(request.method);
  if (method == nullptr) {
    fail(c, rpc_error::method_not_found(request.method));
    return;
  }
  c.entry = method;
  (this->*method->run)(c);
}

void rpc_service::respond(call& c, json result) {
  c.reply->finish(c.notification ? json() : proto::make_result(c.id, std::move(result)));
}

void rpc_service::fail(call& c, rpc_error error) {
  ++stats_.errors;
  c.reply->finish(c.notification ? json() : proto::make_error(c.id, error));
}

computer* rpc_service::attached_computer(call& c) {
  const auto id = c.params.require_int("id", 0, computer_id_max);
  if (!c.params.ok()) {
    fail(c, c.params.error());
    return nullptr;
  }
  const session& s = sessions_[c.client];
  computer* target = sim_.find_computer(static_cast<std::uint32_t>(*id));
  if (target == nullptr || s.attached.count(target->id()) == 0) {
    // The same answer whether it exists or not: a client learns nothing about computers it
    // may not reach.
    fail(c, {error_code::not_attached, "not attached to computer " + std::to_string(*id), nullptr});
    return nullptr;
  }
  return target;
}

bool rpc_service::is_admin(call& c) {
  const auto token = c.params.optional_string("admin_token");
  if (!tokens_.admin.empty() && token && *token == tokens_.admin) return true;
  fail(c, {error_code::unauthorized, "this method needs the admin token (params.admin_token)", nullptr});
  return false;
}

void rpc_service::notify(std::uint32_t computer_id, const char* method, json params, const std::string* event_name) {
  std::string text;
  for (const auto& [client, s] : sessions_) {
    const auto found = s.attached.find(computer_id);
    if (found == s.attached.end()) continue;
    if (event_name != nullptr && !found->second.events.empty() && found->second.events.count(*event_name) == 0)
      continue;
    // Names and texts from Lua may hold any bytes: dump_json replaces invalid UTF-8.
    if (text.empty()) text = proto::dump_json(proto::make_notification(method, params));
    ++stats_.notifications;
    // A client that cannot keep up is disconnected by the edge; its notifications are lost.
    if (!outbox_.send(client, text)) ++stats_.notifications_dropped;
  }
}

void rpc_service::line(std::uint32_t computer_id, output_stream stream, std::string_view text) {
  notify(computer_id, "output",
         json{{"computer", computer_id}, {"stream", stream == output_stream::err ? "err" : "out"},
              {"text", proto::encode_value({}, value::of_string(std::string(text)), limits_.values).value()}},
         nullptr);
}

void rpc_service::watch(computer& c) {
  c.set_event_observer([this](std::uint32_t id, const event& e) {
    // Metric cardinality is bounded: names beyond the first 64 seen are counted together.
    const auto known = stats_.events_by_name.find(e.name);
    if (known != stats_.events_by_name.end()) ++known->second;
    else if (stats_.events_by_name.size() < 64 && e.name.size() <= 32) stats_.events_by_name[e.name] = 1;
    else ++stats_.events_by_name_other;
    if (sessions_.empty()) return;
    auto args = proto::encode_values(e.args, limits_.values);
    json params{{"computer", id}, {"name", e.name}, {"args", args.ok() ? std::move(args.value()) : json::array()}};
    notify(id, "event", std::move(params), &e.name);
  });
  c.set_task_observer([this](std::uint32_t id, const task_report& report) { on_task_report(id, report); });
}

void rpc_service::on_task_report(std::uint32_t computer_id, const task_report& report) {
  // A kept task that is killed or terminated is not wanted any more; one that finishes or
  // fails stays a boot task, as configured ones do.
  if (report.key != 0 && (report.status == "killed" || report.status == "terminated"))
    tasks_.forget_task(computer_id, report.key);
  if (sessions_.empty()) return;
  // RedRun's ids are whole numbers; one that is not (a foreign task table's key) stays a float.
  const bool whole = std::floor(report.id) == report.id && std::fabs(report.id) < 9.0e15;
  json params{{"computer", computer_id}, {"id", whole ? json(static_cast<std::int64_t>(report.id)) : json(report.id)},
              {"name", report.name.empty() ? json() : json(report.name)}, {"status", report.status}};
  if (report.status == "errored" || report.status == "restarting") params["error"] = report.error;
  notify(computer_id, "task", std::move(params), nullptr);
}

}  // namespace redrund
