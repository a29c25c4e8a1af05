#pragma once

// Outbound WebSocket connections (and URL checks) for the computers' http API. Runs its own
// Asio thread; the simulation thread starts work with connect/check/send/close and collects
// what happened with take(). Knows nothing about computers or Lua: connections are numbers.
// Every queue is bounded (ws_client_limits); what overflows is counted in ws_client_stats.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/http_url.hpp"

namespace redrund::net {

struct ws_client_limits {
  std::size_t connections_max = 1024;           // open or opening, over the whole daemon
  std::size_t checks_max = 256;                 // URL checks resolving at once
  std::size_t message_bytes_max = 128 * 1024;   // one message either way (CC's websocket_message)
  std::size_t outbound_messages_max = 512;      // per connection, sent but not yet written
  std::size_t inbound_messages_max = 4096;      // received, waiting for take()
  std::size_t inbound_bytes_max = 16 << 20;     // the same queue, in bytes
  int timeout_seconds = 30;                     // resolve, connect and handshake (CC's default)
};

// Something that happened on the network, for the simulation to turn into an event.
struct ws_completion {
  enum class kind : std::uint8_t { connected, failed, message, closed, checked };
  kind what = kind::failed;
  std::uint64_t id = 0;  // the connection's, or the check's
  std::string text;      // message contents; the reason of a failure, a close or a denied check
  bool binary = false;   // message: a binary frame
  int close_code = -1;   // closed: the peer's close code, -1 when there was none
  bool ok = false;       // checked: the URL may be requested
};

// Totals since start, except the gauge.
struct ws_client_stats {
  std::uint64_t connected = 0;
  std::uint64_t failed = 0;
  std::uint64_t closed_by_peer = 0;
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t messages_dropped = 0;    // received while the inbound queue was full
  std::uint64_t messages_too_large = 0;  // received over message_bytes_max (closes the connection)
  std::uint64_t denied = 0;              // refused by the host policy
  std::size_t connections = 0;           // gauge: open or opening
};

class ws_client {
 public:
  enum class send_status : std::uint8_t { queued, unknown_connection, queue_full };

  ws_client(ws_client_limits limits, host_policy policy, std::string user_agent);
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // Called (on the client's thread) whenever a completion is queued, to wake the simulation.
  // Set before the first connect.
  void set_notify(std::function<void()> notify);

  // Starts connecting to a ws:// URL; a `connected` or `failed` completion follows. Returns
  // the connection's id (never 0), or 0 when connections_max connections exist already.
  std::uint64_t connect(url_parts url, std::vector<std::pair<std::string, std::string>> headers);
  // Resolves the URL's host and applies the policy; a `checked` completion follows. Returns
  // the check's id, or 0 when checks_max checks are running.
  std::uint64_t check(url_parts url);
  // Queues a message on an open connection (any thread).
  send_status send(std::uint64_t id, std::string data, bool binary);
  // Closes a connection (a close frame when open); nothing more is reported about it.
  void close(std::uint64_t id);

  // Everything that happened since the last call, in order.
  std::vector<ws_completion> take();
  ws_client_stats stats() const;
  const ws_client_limits& limits() const;

  struct state;  // what the connections share with the client (ws_client.cpp)

 private:
  std::unique_ptr<state> state_;
};

}  // namespace redrund::net
