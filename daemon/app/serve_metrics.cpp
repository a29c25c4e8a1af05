#include "app/serve_metrics.hpp"

#include <sstream>

namespace redrund {
namespace {

// Metric names and label values are ours (event names are escaped: programs choose them).
std::string escape_label(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void metric(std::ostringstream& out, const char* name, const char* type, const char* help, double value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << value << '\n';
}

void computer_metrics(std::ostringstream& out, const simulation& sim) {
  std::uint64_t dropped = 0, queued = 0, processed = 0, timeouts = 0, memory_errors = 0, pauses = 0;
  std::size_t on = 0, memory = 0;
  for (const auto& [id, c] : sim.computers()) {
    dropped += c->queue().dropped();
    queued += c->queue().size();
    processed += c->stats().events_processed;
    timeouts += c->stats().timeouts_hard;
    memory_errors += c->stats().memory_errors;
    pauses += c->stats().pauses;
    on += c->is_on() ? 1 : 0;
    memory += c->memory_bytes();
  }
  metric(out, "redrund_computers", "gauge", "Computers in the world.", static_cast<double>(sim.computers().size()));
  metric(out, "redrund_computers_on", "gauge", "Computers turned on.", static_cast<double>(on));
  metric(out, "redrund_events_processed_total", "counter", "Events computers have run.", static_cast<double>(processed));
  metric(out, "redrund_events_dropped_total", "counter", "Events dropped because a computer's queue was full.",
         static_cast<double>(dropped));
  metric(out, "redrund_event_queue_depth", "gauge", "Events waiting in all computers' queues.", static_cast<double>(queued));
  metric(out, "redrund_lua_memory_bytes", "gauge", "Memory allocated by all computers' Lua states.",
         static_cast<double>(memory));
  metric(out, "redrund_timeouts_hard_total", "counter", "Computers shut down for running too long without yielding.",
         static_cast<double>(timeouts));
  metric(out, "redrund_lua_memory_errors_total", "counter", "Lua allocations refused by the memory cap.",
         static_cast<double>(memory_errors));
  metric(out, "redrund_preemptions_total", "counter",
         "Runs paused after slice_instructions without a yield, so other computers could go on.",
         static_cast<double>(pauses));
}

void world_metrics(std::ostringstream& out, const simulation& sim) {
  const modem_stats& modems = sim.modems().stats();
  out << "# HELP redrund_modem_messages_total Modem messages delivered, by receiving modem type.\n"
         "# TYPE redrund_modem_messages_total counter\n";
  const char* kinds[] = {"wireless", "ender", "wired"};
  for (int i = 0; i < 3; ++i)
    out << "redrund_modem_messages_total{type=\"" << kinds[i] << "\"} " << modems.deliveries[i] << '\n';
  metric(out, "redrund_modem_transmissions_total", "counter", "modem.transmit calls.", static_cast<double>(modems.transmissions));
  const fault_stats& faults = sim.faults().stats();
  metric(out, "redrund_fault_messages_lost_total", "counter", "Messages dropped by fault injection.",
         static_cast<double>(faults.lost + faults.partitioned));
  metric(out, "redrund_ticks_total", "counter", "World ticks (20 per second).", static_cast<double>(sim.clock().now_ticks));
}

void service_metrics(std::ostringstream& out, const rpc_service& service) {
  const service_stats& s = service.stats();
  metric(out, "redrund_clients", "gauge", "Connected clients.", static_cast<double>(service.session_count()));
  metric(out, "redrund_requests_total", "counter", "JSON-RPC calls handled.", static_cast<double>(s.requests));
  metric(out, "redrund_request_errors_total", "counter", "JSON-RPC calls answered with an error.", static_cast<double>(s.errors));
  metric(out, "redrund_notifications_total", "counter", "Notifications sent.", static_cast<double>(s.notifications));
  metric(out, "redrund_notifications_dropped_total", "counter", "Notifications a slow client did not take.",
         static_cast<double>(s.notifications_dropped));
  out << "# HELP redrund_events_total Events delivered to computers, by name (64 names, then \"other\").\n"
         "# TYPE redrund_events_total counter\n";
  for (const auto& [name, count] : s.events_by_name)
    out << "redrund_events_total{name=\"" << escape_label(name) << "\"} " << count << '\n';
  out << "redrund_events_total{name=\"other\"} " << s.events_by_name_other << '\n';
}

}  // namespace

// The network layer appends its own counters (redrund_net_*) to this text.
void published_metrics::publish(const simulation& sim, const rpc_service& service, inbox_stats inbox,
                                double tick_lag_seconds) {
  std::ostringstream out;
  computer_metrics(out, sim);
  world_metrics(out, sim);
  service_metrics(out, service);
  metric(out, "redrund_inbox_depth", "gauge", "Client messages waiting for the simulation thread.",
         static_cast<double>(inbox.depth));
  metric(out, "redrund_inbox_refused_total", "counter", "Client messages refused because the inbox was full.",
         static_cast<double>(inbox.refused));
  metric(out, "redrund_tick_lag_seconds", "gauge", "How far the world runs behind the wall clock.", tick_lag_seconds);
  std::lock_guard lock(mutex_);
  text_ = out.str();
  published_at_ = std::chrono::steady_clock::now();
}

std::string published_metrics::text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

bool published_metrics::healthy() const {
  std::lock_guard lock(mutex_);
  return std::chrono::steady_clock::now() - published_at_ < std::chrono::seconds(5);
}

}  // namespace redrund
