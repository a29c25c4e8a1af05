#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "net/server.hpp"
#include "net/shared_state.hpp"
#include "net/token_bucket.hpp"

namespace redrund::net {

// Why a connection is being closed; transports map it to a WebSocket close code.
enum class close_cause { normal, going_away, idle, slow_client, internal };

// One client connection, transport-independent: the bounded outbound queue, graceful and hard
// close, idle timeout and rate limit. Transports (tcp_connection, ws_connection) derive from it
// and supply the socket operations.
//
// Thread affinity: send, request_close, stop_async and queued_bytes may be called from any
// thread; everything else runs on the connection's strand (`strand_`). Invariant: every message
// in `queue_`, and every message posted to the strand but not yet queued, is counted in
// `queued_messages_`/`queued_bytes_` until it is written or discarded.
class connection : public stoppable, public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<shared_state> state, connection_id id,
             boost::asio::any_io_executor strand);
  ~connection() override = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  connection_id id() const { return id_; }
  std::size_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }

  bool send(std::string text);
  void request_close(close_cause cause, std::string reason);
  void stop_async() override;

 protected:
  // For transports, strand only.
  void opened(transport kind, std::string remote);  // handshake done: on_open, start writing
  void deliver(std::string text);                   // one inbound message
  void report_protocol_error(const std::string& what);
  void report_oversized(const std::string& what);
  void finish(const std::string& reason);           // the read loop ended, for whatever reason
  void on_write_done(boost::system::error_code ec, std::size_t bytes);
  bool finished() const { return finished_; }
  const net_limits& limits() const { return state_->limits(); }

  // Supplied by transports, strand only. start_write sends the first messages of `queue` (they
  // stay put until on_write_done) and returns how many it took; the queue is never empty.
  virtual std::size_t start_write(const std::deque<std::string>& queue) = 0;
  virtual void start_graceful_close(close_cause cause, const std::string& reason) = 0;
  virtual void hard_close() = 0;  // cut the socket: pending operations complete with errors

 private:
  void enqueue(std::string text);
  void begin_close(close_cause cause, std::string reason);
  void drop_slow_client(std::string notice);
  void overflow();
  void pump();
  void arm_idle_timer();
  void on_idle_timer(boost::system::error_code ec);
  void discard_unsent();
  void release(std::size_t messages, std::size_t bytes);
  template <class Callback>
  void guarded(const char* what, Callback&& callback);

  std::shared_ptr<shared_state> state_;
  const connection_id id_;
  boost::asio::any_io_executor strand_;

  // Any thread.
  std::atomic<std::size_t> queued_messages_{0};
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<bool> close_requested_{false};

  // Strand only.
  std::deque<std::string> queue_;
  std::size_t in_flight_messages_ = 0;  // the front of queue_ a transport is writing
  bool writing_ = false;
  bool ready_ = false;                  // opened: handshake done, writes may start
  bool closing_ = false;
  bool close_started_ = false;
  bool finished_ = false;
  close_cause close_cause_ = close_cause::normal;
  std::string close_reason_;
  token_bucket rate_limit_;
  token_bucket::clock::time_point last_inbound_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer grace_timer_;
};

}  // namespace redrund::net
