#include "app/serve_command.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "app/exit_codes.hpp"
#include "app/outbound_http_client.hpp"
#include "app/serve_config.hpp"
#include "app/serve_metrics.hpp"
#include "app/serve_world.hpp"
#include "app/temp_dir.hpp"
#include "net/server.hpp"
#include "persist/atomic_file.hpp"

namespace redrund {
namespace {

using steady = std::chrono::steady_clock;

// What the network threads hand to the simulation thread. Messages arrive already decoded:
// parsing JSON on the network threads keeps that work off the one simulation thread.
struct inbound {
  enum class kind : std::uint8_t { open, message, close, protocol_error };
  kind what;
  client_id client;
  std::string text;                                              // protocol_error's description
  proto::error_code error = proto::error_code::invalid_request;  // protocol_error's JSON-RPC code
  proto::incoming_frame frame;                                   // message
};

// The JSON-RPC error code for a problem the network edge found (proto/README.md, Limits).
proto::error_code edge_error_code(std::string_view what) {
  if (what == net::protocol_error::frame_too_big || what == net::protocol_error::line_too_long)
    return proto::error_code::too_large;
  if (what == net::protocol_error::rate_limited) return proto::error_code::overloaded;
  return proto::error_code::invalid_request;  // a binary frame
}

// The bounded queue between the edge and the simulation: the edge never touches Lua, and a
// flood of requests is refused at the edge instead of growing memory.
class inbox {
 public:
  explicit inbox(std::size_t capacity) : capacity_(capacity) {}

  bool push(inbound item) {
    {
      std::lock_guard lock(mutex_);
      // Opens and closes always get in: session bookkeeping must not be lost.
      if (item.what == inbound::kind::message && items_.size() >= capacity_) {
        ++refused_;
        return false;
      }
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return true;
  }

  // Moves what is queued into `out` (emptied first), waiting until something arrives or
  // `deadline`. The two deques trade places, so neither allocates again once warm.
  void take(steady::time_point deadline, std::deque<inbound>& out) {
    out.clear();
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, deadline, [this] { return !items_.empty() || woken_; });
    woken_ = false;
    items_.swap(out);
  }

  inbox_stats stats() {
    std::lock_guard lock(mutex_);
    return {items_.size(), refused_};
  }

  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    ready_.notify_one();
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<inbound> items_;
  std::uint64_t refused_ = 0;
  bool woken_ = false;
};

// Network callbacks (network threads): forward to the simulation thread through the inbox.
class edge_bridge final : public net::server_callbacks, public client_outbox {
 public:
  edge_bridge(inbox& queue, published_metrics& metrics, proto::rpc_limits limits)
      : queue_(queue), metrics_(metrics), limits_(limits) {}
  void attach(net::server& server) { server_ = &server; }
  void attach_http(const outbound_http_client* http) { http_ = http; }

  void on_open(net::connection_id id, net::transport, std::string) override {
    queue_.push({inbound::kind::open, id, {}, {}, {}});
  }
  void on_message(net::connection_id id, std::string text) override {
    if (!queue_.push({inbound::kind::message, id, {}, {}, proto::decode_frame(text, limits_)}))
      server_->send(id, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32004,"message":"server overloaded, try again"}})");
  }
  void on_close(net::connection_id id, std::string) override { queue_.push({inbound::kind::close, id, {}, {}, {}}); }
  void on_protocol_error(net::connection_id id, std::string what) override {
    const proto::error_code code = edge_error_code(what);
    queue_.push({inbound::kind::protocol_error, id, std::move(what), code, {}});
  }
  std::string metrics_text() override { return metrics_.text() + (http_ != nullptr ? http_->metrics_text() : ""); }
  bool healthy() override { return metrics_.healthy(); }

  // client_outbox (simulation thread): the server's send is thread-safe.
  bool send(client_id client, std::string text) override { return server_->send(client, std::move(text)); }
  void close(client_id client, std::string reason) override { server_->close(client, std::move(reason)); }

 private:
  inbox& queue_;
  published_metrics& metrics_;
  const proto::rpc_limits limits_;
  net::server* server_ = nullptr;
  const outbound_http_client* http_ = nullptr;
};

// Computers are created before the service exists (the service needs the world to create
// client computers), so their output goes through this until the service takes it.
class output_forwarder final : public output_sink {
 public:
  output_sink* target = nullptr;
  void line(std::uint32_t id, output_stream stream, std::string_view text) override {
    if (target != nullptr) target->line(id, stream, text);
  }
};

std::optional<serve_config> load_config(const serve_options& options) {
  std::string text(default_serve_config_text());
  if (!options.config_file.empty()) {
    auto read = read_whole_file(options.config_file);
    if (!read) {
      spdlog::error("cannot read config file {}", options.config_file);
      return std::nullopt;
    }
    text = std::move(*read);
  }
  serve_config_result parsed = parse_serve_config(text);
  for (const std::string& e : parsed.errors) spdlog::error("config: {}", e);
  if (!parsed.value) return std::nullopt;
  serve_config config = std::move(*parsed.value);
  if (!options.tcp.empty()) config.listen.tcp = options.tcp;
  if (!options.ws.empty()) config.listen.ws = options.ws;
  if (!options.http.empty()) config.listen.http = options.http;
  if (const char* env = std::getenv("REDRUND_TOKEN"); env != nullptr && *env != '\0') config.tokens.client = env;
  if (!options.token.empty()) config.tokens.client = options.token;
  if (!options.admin_token.empty()) config.tokens.admin = options.admin_token;
  return config;
}

void setup_logging(const serve_config& config) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
  if (!config.log_file.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(config.log_file, 16 << 20, 4));
  auto logger = std::make_shared<spdlog::logger>("redrund", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(logger);
}

void handle(rpc_service& service, inbound& item) {
  switch (item.what) {
    case inbound::kind::open: service.on_open(item.client); break;
    case inbound::kind::message: service.on_frame(item.client, std::move(item.frame)); break;
    case inbound::kind::close: service.on_close(item.client); break;
    case inbound::kind::protocol_error: service.on_protocol_error(item.client, item.error, item.text); break;
  }
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, serve_options& options) {
  CLI::App* serve = app.add_subcommand("serve", "Run the daemon: a world of computers for TCP and WebSocket clients");
  serve->add_option("--config", options.config_file, "JSON configuration (default: the embedded config/redrund.json)")
      ->check(CLI::ExistingFile);
  serve->add_option("--data", options.data_dir, "State directory: the world and every computer's files");
  serve->add_option("--tcp", options.tcp, "TCP listen address ADDR:PORT (port 0: any free port)");
  serve->add_option("--ws", options.ws, "WebSocket listen address ADDR:PORT");
  serve->add_option("--http", options.http, "HTTP (/healthz, /metrics) listen address ADDR:PORT");
  serve->add_option("--token", options.token, "Client token for computer.attach (also REDRUND_TOKEN)");
  serve->add_option("--admin-token", options.admin_token, "Token for world.* changes");
  serve->add_flag("--check-config", options.check_config, "Validate the configuration and exit (0 valid, 2 not)");
  return serve;
}

int serve(serve_options options) {
  auto config = load_config(options);
  if (!config) return exit_code::usage_error;
  if (options.check_config) return exit_code::success;
  setup_logging(*config);
  std::optional<temp_dir> scratch;
  std::filesystem::path data = options.data_dir;
  if (data.empty()) {
    data = scratch.emplace().path();
    spdlog::warn("no --data directory: the world lives in {} and is removed at exit", data.string());
  }

  world_config world{config->world.start, config->world.radio, config->world.faults, config->world.seed};
  world.start.epoch_start_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // The computers' http API; created before the world so it outlives every computer.
  std::unique_ptr<outbound_http_client> http;
  if (config->http.enabled) {
    std::string error;
    http = outbound_http_client::create(config->http, error);
    if (!http) return exit_code::usage_error;  // parse_serve_config has reported the bad entry
  }
  simulation sim(world);
  inbox queue(config->inbox_messages_max);
  published_metrics metrics;
  const service_limits limits;
  edge_bridge bridge(queue, metrics, limits.rpc);
  output_forwarder output;
  serve_world served(sim, data, output, config->computers_max, config->world.seed, config->slice_instructions);
  rpc_service service(sim, bridge, served, served, config->tokens, limits);
  output.target = &service;
  if (http) {
    http->set_wake([&queue] { queue.wake(); });
    bridge.attach_http(http.get());
  }
  served.set_observer([&service, &http](computer& c) {
    c.set_http(http.get());
    service.watch(c);
  });
  if (const auto errors = served.load(config->world); !errors.empty()) {
    for (const auto& e : errors) spdlog::error("world: {}", e);
    return exit_code::usage_error;
  }

  boost::asio::io_context ioc;
  net::server server(ioc, config->listen, config->net, bridge);
  bridge.attach(server);
  std::string error;
  if (!server.start(error)) {
    spdlog::error("cannot listen: {}", error);
    return exit_code::usage_error;
  }
  // Signals are caught before the daemon says it is listening: a supervisor (or a test) may
  // send SIGTERM as soon as it has read that line, and it must still be a clean stop.
  std::atomic<bool> stopping{false};
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    stopping = true;
    queue.wake();
  });
  spdlog::info("listening: tcp={} ws={} http={} data={}", server.bound_tcp(), server.bound_ws(), server.bound_http(),
               data.string());
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&ioc] { ioc.run(); });

  // The simulation thread: real time, one tick per 50 ms of wall time. Overruns make the
  // world lag (measured), they never skip ticks.
  const auto start = steady::now();
  auto next_save = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(config->save_interval_seconds));
  std::deque<inbound> taken;
  while (!stopping) {
    const auto next_tick = start + std::chrono::milliseconds(50) * (sim.clock().now_ticks + 1);
    queue.take(next_tick, taken);
    for (inbound& item : taken) handle(service, item);
    if (http) http->deliver(sim);
    sim.run_ready();
    if (steady::now() >= next_tick) {
      sim.advance_tick();
      sim.run_ready();
      metrics.publish(sim, service, queue.stats(), std::chrono::duration<double>(steady::now() - next_tick).count());
    }
    if (auto failed = served.save_if_changed()) spdlog::error("saving the world: {}", *failed);
    if (steady::now() >= next_save) {
      if (auto failed = served.save()) spdlog::error("saving the world: {}", *failed);
      next_save += std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(config->save_interval_seconds));
    }
  }

  service.announce_shutdown();
  const auto save_failed = served.save();
  if (save_failed) spdlog::error("saving the world: {}", *save_failed);
  server.stop();
  for (auto& [id, c] : sim.computers()) c->shutdown();  // flushes open files
  if (http) http->set_wake(nullptr);  // the inbox goes before the http client
  ioc.stop();
  for (std::thread& t : threads) t.join();
  // A supervisor must hear that the world on disk is older than the one that ran.
  spdlog::info(save_failed ? "stopped, without saving the world" : "stopped");
  return save_failed ? exit_code::save_failed : exit_code::success;
}

}  // namespace redrund
