#include "net/shared_state.hpp"

#include <spdlog/spdlog.h>

#include "net/connection.hpp"

namespace redrund::net {

spdlog::logger& net_log() {
  // Registered under "net" so the application's spdlog::set_level reaches it too.
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("net")) return existing;
    auto created = spdlog::default_logger()->clone("net");
    try {
      spdlog::register_logger(created);
    } catch (const spdlog::spdlog_ex&) {
      // Someone registered "net" between get and register: use theirs.
      if (auto existing = spdlog::get("net")) return existing;
    }
    return created;
  }();
  return *logger;
}

void net_counters::note_outbound_bytes(std::size_t queued_bytes) {
  std::size_t peak = outbound_bytes_peak.load(std::memory_order_relaxed);
  while (queued_bytes > peak &&
         !outbound_bytes_peak.compare_exchange_weak(peak, queued_bytes, std::memory_order_relaxed)) {
  }
}

shared_state::shared_state(net_limits limits, server_callbacks& callbacks)
    : limits_(std::move(limits)), callbacks_(callbacks) {}

std::optional<connection_id> shared_state::admit() {
  std::lock_guard lock(mutex_);
  if (stopping_ || connections_.size() >= limits_.connections_max) {
    counters_.rejected.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  const connection_id id = next_id_++;
  connections_.emplace(id, std::weak_ptr<connection>());  // holds the slot until attach
  counters_.accepted.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void shared_state::attach(connection_id id, std::weak_ptr<connection> session) {
  std::lock_guard lock(mutex_);
  auto found = connections_.find(id);
  if (found != connections_.end()) found->second = std::move(session);
}

void shared_state::remove(connection_id id) {
  std::lock_guard lock(mutex_);
  connections_.erase(id);
}

std::shared_ptr<connection> shared_state::find(connection_id id) const {
  std::lock_guard lock(mutex_);
  auto found = connections_.find(id);
  return found == connections_.end() ? nullptr : found->second.lock();
}

std::size_t shared_state::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

bool shared_state::begin_rejection() {
  if (rejections_in_flight_.fetch_add(1) < limits_.rejections_in_flight_max) return true;
  rejections_in_flight_.fetch_sub(1);
  return false;
}

void shared_state::end_rejection() { rejections_in_flight_.fetch_sub(1); }

std::optional<std::uint64_t> shared_state::admit_http(std::weak_ptr<stoppable> session) {
  std::lock_guard lock(mutex_);
  if (stopping_ || http_sessions_.size() >= limits_.http_connections_max) return std::nullopt;
  const std::uint64_t key = next_id_++;
  http_sessions_.emplace(key, std::move(session));
  return key;
}

void shared_state::remove_http(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  http_sessions_.erase(key);
}

std::vector<std::shared_ptr<stoppable>> shared_state::begin_stop() {
  std::vector<std::shared_ptr<stoppable>> live;
  std::lock_guard lock(mutex_);
  stopping_ = true;
  live.reserve(connections_.size() + http_sessions_.size());
  for (const auto& [id, session] : connections_) {
    if (auto locked = session.lock()) live.push_back(std::move(locked));
  }
  for (const auto& [key, session] : http_sessions_) {
    if (auto locked = session.lock()) live.push_back(std::move(locked));
  }
  return live;
}

net_stats shared_state::stats() const {
  net_stats out;
  const auto load = [](const std::atomic<std::uint64_t>& value) {
    return value.load(std::memory_order_relaxed);
  };
  out.accepted = load(counters_.accepted);
  out.rejected = load(counters_.rejected);
  out.frames_oversized = load(counters_.frames_oversized);
  out.rate_limited = load(counters_.rate_limited);
  out.slow_clients_dropped = load(counters_.slow_clients_dropped);
  out.idle_timeouts = load(counters_.idle_timeouts);
  out.protocol_errors = load(counters_.protocol_errors);
  out.http_requests = load(counters_.http_requests);
  out.bytes_in = load(counters_.bytes_in);
  out.bytes_out = load(counters_.bytes_out);
  out.outbound_bytes_peak = counters_.outbound_bytes_peak.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  out.connections = connections_.size();
  for (const auto& [id, session] : connections_) {
    if (auto locked = session.lock()) out.outbound_bytes += locked->queued_bytes();
  }
  return out;
}

std::string format_net_metrics(const net_stats& stats) {
  struct metric {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t value;
  };
  const metric metrics[] = {
      {"redrund_net_connections", "gauge", "Live TCP and WebSocket connections.", stats.connections},
      {"redrund_net_outbound_bytes", "gauge", "Bytes queued for clients.", stats.outbound_bytes},
      {"redrund_net_outbound_bytes_peak", "gauge", "Largest queue one connection held.",
       stats.outbound_bytes_peak},
      {"redrund_net_accepted_total", "counter", "Connections admitted.", stats.accepted},
      {"redrund_net_rejected_total", "counter", "Connections refused at connections_max.",
       stats.rejected},
      {"redrund_net_frames_oversized_total", "counter", "Inbound messages over frame_bytes_max.",
       stats.frames_oversized},
      {"redrund_net_rate_limited_total", "counter", "Inbound messages dropped by the rate limit.",
       stats.rate_limited},
      {"redrund_net_slow_clients_dropped_total", "counter", "Clients dropped for not reading.",
       stats.slow_clients_dropped},
      {"redrund_net_idle_timeouts_total", "counter", "Connections closed for silence.",
       stats.idle_timeouts},
      {"redrund_net_protocol_errors_total", "counter", "Protocol errors reported.",
       stats.protocol_errors},
      {"redrund_net_http_requests_total", "counter", "HTTP requests served.", stats.http_requests},
      {"redrund_net_bytes_in_total", "counter", "Inbound message bytes.", stats.bytes_in},
      {"redrund_net_bytes_out_total", "counter", "Outbound message bytes.", stats.bytes_out},
  };
  std::string text;
  for (const metric& m : metrics) {
    text += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", m.name, m.help, m.name, m.type,
                        m.name, m.value);
  }
  return text;
}

std::string format_endpoint(const std::string& address, unsigned short port) {
  const bool v6 = address.find(':') != std::string::npos;
  return v6 ? fmt::format("[{}]:{}", address, port) : fmt::format("{}:{}", address, port);
}

}  // namespace redrund::net
