#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/server.hpp"

namespace spdlog {
class logger;
}

namespace redrund::net {

// The module's logger, "net" (a clone of spdlog's default logger, made on first use).
spdlog::logger& net_log();

// Something server::stop must close: a connection or an HTTP session. Any thread.
class stoppable {
 public:
  virtual ~stoppable() = default;
  virtual void stop_async() = 0;
};

// Totals behind net_stats, written from any network thread.
struct net_counters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> frames_oversized{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> slow_clients_dropped{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::size_t> outbound_bytes_peak{0};

  void note_outbound_bytes(std::size_t queued_bytes);  // raises the peak
};

class connection;

// What the server, its listeners and every session share (held by shared_ptr so sessions that
// outlive the server object stay valid). The mutex guards only the two registries; limits and
// the callbacks reference never change after construction.
class shared_state {
 public:
  shared_state(net_limits limits, server_callbacks& callbacks);

  const net_limits& limits() const { return limits_; }
  server_callbacks& callbacks() { return callbacks_; }
  net_counters& counters() { return counters_; }

  // Takes one of connections_max slots and a fresh id, or counts a rejection (also once
  // stopping). The slot is held until remove(id).
  std::optional<connection_id> admit();
  void attach(connection_id id, std::weak_ptr<connection> session);
  void remove(connection_id id);
  std::shared_ptr<connection> find(connection_id id) const;
  std::size_t connection_count() const;

  // Over-limit clients are told why (a JSON line, a close handshake) while at most
  // rejections_in_flight_max are in progress; beyond that a flood is closed without a word.
  bool begin_rejection();
  void end_rejection();

  // The HTTP port's sessions, capped by http_connections_max; nullopt = refuse this one.
  std::optional<std::uint64_t> admit_http(std::weak_ptr<stoppable> session);
  void remove_http(std::uint64_t key);

  // From now on admit() refuses; returns every live session so the caller can close them.
  std::vector<std::shared_ptr<stoppable>> begin_stop();

  net_stats stats() const;

 private:
  const net_limits limits_;
  server_callbacks& callbacks_;
  net_counters counters_;
  std::atomic<std::size_t> rejections_in_flight_{0};
  mutable std::mutex mutex_;
  bool stopping_ = false;
  connection_id next_id_ = 1;
  std::unordered_map<connection_id, std::weak_ptr<connection>> connections_;
  std::unordered_map<std::uint64_t, std::weak_ptr<stoppable>> http_sessions_;
};

// Prometheus text for the server's own counters, appended to the callbacks' /metrics body.
std::string format_net_metrics(const net_stats& stats);

// "127.0.0.1:8080" / "[::1]:8080" for an address and port.
std::string format_endpoint(const std::string& address, unsigned short port);

}  // namespace redrund::net
