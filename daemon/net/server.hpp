#pragma once

// The network edge of the daemon: accepts TCP (newline-delimited text) and WebSocket (text frame)
// clients, moves whole text messages between them and a server_callbacks implementation, and
// serves /healthz and /metrics over HTTP on a port of its own. It knows nothing about Lua, the
// simulation or the message format; every queue, frame and rate has a limit in net_limits.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace redrund::net {

// Defaults follow the design guide (§1: Beast caps, §8.5: every queue has a `…_max`).
struct net_limits {
  std::size_t frame_bytes_max = 1 << 20;        // one inbound WebSocket message or TCP line
  std::size_t outbound_messages_max = 1024;     // per connection, queued but not yet written
  std::size_t outbound_bytes_max = 8 << 20;     // per connection, same queue, in bytes
  std::size_t connections_max = 2048;           // TCP and WebSocket together
  int idle_timeout_seconds = 300;               // no inbound message for this long closes
  double messages_per_second = 200;             // token bucket refill; <= 0 disables the limit
  double burst_messages = 400;                  // token bucket capacity
  int handshake_timeout_seconds = 10;           // WebSocket upgrade, HTTP request read
  int close_grace_milliseconds = 5000;          // graceful close, then the socket is cut
  std::size_t http_connections_max = 64;        // the /healthz and /metrics port
  std::size_t rejections_in_flight_max = 64;    // over-limit clients still being told why
};

// "ADDR:PORT" ("[::1]:PORT" for IPv6); empty = that listener is off; port 0 = any free port.
struct listen_config {
  std::string tcp;
  std::string ws;
  std::string http;
};

enum class transport { tcp, websocket };

using connection_id = std::uint64_t;

// The texts server_callbacks::on_protocol_error reports, so callers can tell them apart.
namespace protocol_error {
inline constexpr const char* frame_too_big = "frame too big";  // a WebSocket message over frame_bytes_max
inline constexpr const char* line_too_long = "line too long";  // a TCP line over frame_bytes_max
inline constexpr const char* binary_frame = "binary frame";    // WebSocket binary frames are not used
inline constexpr const char* rate_limited = "rate limited";    // the token bucket was empty
}  // namespace protocol_error

// A copy of the server's counters; totals since start unless noted.
struct net_stats {
  std::uint64_t accepted = 0;              // connections admitted (TCP and WebSocket)
  std::uint64_t rejected = 0;              // refused because connections_max was reached
  std::uint64_t frames_oversized = 0;      // inbound messages over frame_bytes_max
  std::uint64_t rate_limited = 0;          // inbound messages dropped by the token bucket
  std::uint64_t slow_clients_dropped = 0;  // disconnected because their outbound queue was full
  std::uint64_t idle_timeouts = 0;         // closed for inbound silence
  std::uint64_t protocol_errors = 0;       // every on_protocol_error call
  std::uint64_t http_requests = 0;
  std::uint64_t bytes_in = 0;              // message payload bytes, both transports
  std::uint64_t bytes_out = 0;
  std::size_t connections = 0;             // gauge: live TCP and WebSocket connections
  std::size_t outbound_bytes = 0;          // gauge: queued bytes summed over live connections
  std::size_t outbound_bytes_peak = 0;     // largest queue one connection ever held
};

// Called on network threads, possibly several at once for different connections; calls for one
// connection are serialised (its strand) and ordered: on_open, then messages and errors, then
// on_close exactly once. Implementations must be thread-safe and must not block for long.
class server_callbacks {
 public:
  virtual ~server_callbacks() = default;
  virtual void on_open(connection_id id, transport kind, std::string remote) = 0;
  // One complete message: a WebSocket text frame, or a TCP line without its "\n" / "\r\n".
  virtual void on_message(connection_id id, std::string text) = 0;
  virtual void on_close(connection_id id, std::string reason) = 0;
  // Oversized frame, rate limit hit, binary frame (`what` is one of protocol_error's texts): the
  // message was dropped. Over WebSocket an oversized frame has already closed the connection
  // (1009); otherwise it stays usable.
  virtual void on_protocol_error(connection_id id, std::string what) = 0;
  virtual std::string metrics_text() = 0;  // GET /metrics body; the server appends its own
  virtual bool healthy() = 0;              // GET /healthz: 200 "ok" or 503

  // The last message a client gets when it is dropped for not reading (empty = none). Called on
  // the thread that called server::send.
  virtual std::string overflow_notice(connection_id id);
};

class server_impl;

// Owns the listeners and the registry of live connections. All public members are thread-safe.
// Each connection runs on its own strand of the io_context, which may be run by several threads.
class server {
 public:
  server(boost::asio::io_context& ioc, listen_config config, net_limits limits,
         server_callbacks& callbacks);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds every configured listener and starts accepting. On failure nothing stays bound and
  // `error` names the address that failed.
  bool start(std::string& error);
  std::string bound_tcp() const;  // "127.0.0.1:41234", or "" when that listener is off
  std::string bound_ws() const;
  std::string bound_http() const;

  // Queues `text` for the client. False if the id is unknown or closing, or if the queue would
  // exceed outbound_messages_max / outbound_bytes_max: that client is then sent the overflow
  // notice and disconnected (a client that does not read is never buffered without bound).
  bool send(connection_id id, std::string text);
  // Graceful: queued messages are flushed, then a WebSocket close frame / TCP shutdown.
  void close(connection_id id, std::string reason);
  // Stops accepting and closes every connection gracefully; the io_context then runs dry.
  void stop();

  std::size_t connection_count() const;
  net_stats stats() const;

 private:
  std::unique_ptr<server_impl> impl_;
};

}  // namespace redrund::net
