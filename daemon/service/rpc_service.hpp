#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "computer/output.hpp"
#include "proto/jsonrpc.hpp"
#include "proto/jsonrpc_params.hpp"
#include "proto/lua_json.hpp"
#include "world/simulation.hpp"

namespace redrund {

using client_id = std::uint64_t;

// Where replies and notifications go: the network edge (thread-safe there).
class client_outbox {
 public:
  virtual ~client_outbox() = default;
  virtual bool send(client_id client, std::string text) = 0;
  virtual void close(client_id client, std::string reason) = 0;
};

// Creates client computers on behalf of computer.attach {create: ...}: the app decides ids,
// data directories and persistence.
class computer_factory {
 public:
  virtual ~computer_factory() = default;
  virtual computer* create_computer(std::string label, placement where, std::vector<modem_spec> modems,
                                    std::string& error) = 0;
};

// Keeps the tasks clients start with task.start across daemon restarts, as boot tasks of their
// computer (so a reboot or a restart starts them again).
class task_store {
 public:
  virtual ~task_store() = default;
  // Records `task` for the computer; returns its key (boot_task::key), 0 if it was not kept.
  virtual std::uint32_t keep_task(std::uint32_t computer_id, boot_task task) = 0;
  // The task with that key was killed or terminated, or did not start: it is not kept.
  virtual void forget_task(std::uint32_t computer_id, std::uint32_t key) = 0;
};

struct access_tokens {
  std::string client;  // needed by computer.attach
  std::string admin;   // needed by world.* changes
};

struct service_limits {
  proto::rpc_limits rpc;
  proto::lua_json_limits values;
  std::size_t attachments_max = 64;     // computers one client may attach to
  std::size_t pending_calls_max = 256;  // calls of one client waiting on Lua
};

struct service_stats {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t notifications = 0;
  std::uint64_t notifications_dropped = 0;  // the client's outbound queue was full
  std::uint64_t events_by_name_other = 0;
  std::map<std::string, std::uint64_t> events_by_name;  // delivered to computers, by event name
};

struct pending_reply;

// The daemon's JSON-RPC service, on the simulation thread: sessions, access control, the
// methods of proto/README.md, and `event`/`output` notifications. Every computer-facing
// method runs Lua in the computer through its own APIs (computer::start_eval), so a client
// sees exactly what a CC program would. Sim thread only.
class rpc_service final : public output_sink {
 public:
  rpc_service(simulation& sim, client_outbox& outbox, computer_factory& factory, task_store& tasks,
              access_tokens tokens, service_limits limits);

  void on_open(client_id client);
  void on_message(client_id client, std::string_view text);
  // The same for a message the caller has decoded (with the same rpc_limits).
  void on_frame(client_id client, proto::incoming_frame frame);
  void on_close(client_id client);
  // An edge-level problem (oversized frame, rate limit): answered with an error, id null.
  void on_protocol_error(client_id client, proto::error_code code, std::string_view what);
  // Tells every client the daemon is stopping.
  void announce_shutdown();

  // Output notifications: computers the service watches write here.
  void line(std::uint32_t computer_id, output_stream stream, std::string_view text) override;
  // Installs the observers that feed `event` and `task` notifications and metrics.
  void watch(computer& c);

  const service_stats& stats() const { return stats_; }
  std::size_t session_count() const { return sessions_.size(); }

  // A call being handled: its params, and how to answer it.
  struct call {
    const struct method_entry* entry = nullptr;
    client_id client = 0;
    std::shared_ptr<pending_reply> reply;
    nlohmann::json id;
    bool notification = false;
    proto::params_reader params;
  };
  using handler = void (rpc_service::*)(call&);

  // Methods (rpc_methods.cpp: sessions and world; lua_methods.cpp: the rest).
  void computer_attach(call& c);
  void computer_info(call& c);
  void world_list(call& c);
  void world_move(call& c);
  void world_remove(call& c);
  void run_lua_method(call& c);
  void task_start(call& c);

 private:
  struct attachment {
    std::set<std::string> events;  // event names to notify; empty means all
  };
  struct session {
    bool authorized = false;
    std::map<std::uint32_t, attachment> attached;
    std::size_t pending_calls = 0;
  };

  // A Lua-backed call whose parameters have been read: where it runs, what, with which arguments.
  struct lua_call {
    computer* target = nullptr;
    std::string code;
    value_list arguments;
  };
  // Reads the call's computer and parameters for its method's chunk; answers it on error.
  std::optional<lua_call> prepare_lua_call(call& c);
  // Runs the chunk and answers with its values; `finished` (if any) sees whether it succeeded.
  void start_lua_call(call& c, lua_call run, std::function<void(bool ok)> finished = {});
  void on_task_report(std::uint32_t computer_id, const task_report& report);

  void dispatch(client_id client, proto::request request, std::shared_ptr<pending_reply> reply);
  void respond(call& c, nlohmann::json result);
  void fail(call& c, proto::rpc_error error);
  // The attached computer named by params.id, or answers the call with an error.
  computer* attached_computer(call& c);
  bool is_admin(call& c);
  void notify(std::uint32_t computer_id, const char* method, nlohmann::json params, const std::string* event_name);
  friend struct pending_reply;
  void send_text(client_id client, std::string text);

  simulation& sim_;
  client_outbox& outbox_;
  computer_factory& factory_;
  task_store& tasks_;
  access_tokens tokens_;
  service_limits limits_;
  std::map<client_id, session> sessions_;
  service_stats stats_;
};

}  // namespace redrund
