#include "net/connection.hpp"

#include <chrono>
#include <exception>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace redrund::net {

namespace asio = boost::asio;

connection::connection(std::shared_ptr<shared_state> state, connection_id id,
                       asio::any_io_executor strand)
    : state_(std::move(state)),
      id_(id),
      strand_(std::move(strand)),
      rate_limit_(state_->limits().messages_per_second, state_->limits().burst_messages,
                  token_bucket::clock::now()),
      last_inbound_(token_bucket::clock::now()),
      idle_timer_(strand_),
      grace_timer_(strand_) {}

//------------------------------------------------------------------------------
// Any thread.

bool connection::send(std::string text) {
  if (close_requested_.load(std::memory_order_acquire)) return false;
  const std::size_t bytes = text.size();
  // Reserve first, then check: concurrent senders can only over-count for a moment, never let
  // the queue past its limits.
  const std::size_t messages = queued_messages_.fetch_add(1) + 1;
  const std::size_t total_bytes = queued_bytes_.fetch_add(bytes) + bytes;
  if (messages > limits().outbound_messages_max || total_bytes > limits().outbound_bytes_max) {
    release(1, bytes);
    overflow();
    return false;
  }
  state_->counters().note_outbound_bytes(total_bytes);
  asio::post(strand_, [self = shared_from_this(), text = std::move(text)]() mutable {
    self->enqueue(std::move(text));
  });
  return true;
}

void connection::request_close(close_cause cause, std::string reason) {
  if (close_requested_.exchange(true)) return;  // the first close decides cause and reason
  asio::post(strand_, [self = shared_from_this(), cause, reason = std::move(reason)]() mutable {
    self->begin_close(cause, std::move(reason));
  });
}

void connection::stop_async() { request_close(close_cause::going_away, "server stopping"); }

// The client is not reading fast enough: tell it (if the callbacks gave a notice) and drop it.
void connection::overflow() {
  if (close_requested_.exchange(true)) return;
  state_->counters().slow_clients_dropped.fetch_add(1, std::memory_order_relaxed);
  std::string notice;
  try {
    notice = state_->callbacks().overflow_notice(id_);
  } catch (const std::exception& error) {
    net_log().error("connection={} event=OverflowNoticeFailed what={}", id_, error.what());
  }
  // The notice bypasses the limits (it replaces the queue) but is counted like any message.
  queued_messages_.fetch_add(notice.empty() ? 0 : 1);
  queued_bytes_.fetch_add(notice.size());
  asio::post(strand_, [self = shared_from_this(), notice = std::move(notice)]() mutable {
    self->drop_slow_client(std::move(notice));
  });
}

void connection::release(std::size_t messages, std::size_t bytes) {
  queued_messages_.fetch_sub(messages);
  queued_bytes_.fetch_sub(bytes);
}

//------------------------------------------------------------------------------
// Strand: the outbound side.

void connection::enqueue(std::string text) {
  // After a close began only what was sent before it is delivered.
  if (closing_ || finished_) {
    release(1, text.size());
    return;
  }
  queue_.push_back(std::move(text));
  pump();
}

// Starts the next write, or the graceful close once the queue has drained.
void connection::pump() {
  if (!ready_ || writing_ || finished_) return;
  if (!queue_.empty()) {
    writing_ = true;
    in_flight_messages_ = start_write(queue_);
    return;
  }
  if (closing_ && !close_started_) {
    close_started_ = true;
    start_graceful_close(close_cause_, close_reason_);
  }
}

void connection::on_write_done(boost::system::error_code ec, std::size_t bytes) {
  writing_ = false;
  std::size_t released_bytes = 0;
  for (std::size_t i = 0; i < in_flight_messages_; ++i) {
    released_bytes += queue_.front().size();
    queue_.pop_front();
  }
  release(in_flight_messages_, released_bytes);
  in_flight_messages_ = 0;
  if (ec) {
    // The read side reports the failure; cutting the socket makes sure it does.
    hard_close();
    return;
  }
  state_->counters().bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  pump();
}

void connection::begin_close(close_cause cause, std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  close_requested_.store(true, std::memory_order_release);
  close_cause_ = cause;
  close_reason_ = std::move(reason);
  if (!ready_) {
    hard_close();  // no handshake yet, so nothing graceful to do
    return;
  }
  // The peer gets close_grace to take the rest of the queue and answer the close; then it is cut.
  grace_timer_.expires_after(std::chrono::milliseconds(limits().close_grace_milliseconds));
  grace_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->finished_) self->hard_close();
  });
  pump();
}

void connection::drop_slow_client(std::string notice) {
  net_log().warn("connection={} event=SlowClientDropped queued_bytes={}", id_, queued_bytes());
  discard_unsent();
  if (!notice.empty()) {
    if (closing_ || finished_) {
      release(1, notice.size());
    } else {
      queue_.push_back(std::move(notice));
    }
  }
  begin_close(close_cause::slow_client, "slow client");
}

// Drops every queued message except those a transport is writing right now.
void connection::discard_unsent() {
  std::size_t bytes = 0;
  const std::size_t messages = queue_.size() - in_flight_messages_;
  while (queue_.size() > in_flight_messages_) {
    bytes += queue_.back().size();
    queue_.pop_back();
  }
  release(messages, bytes);
}

//------------------------------------------------------------------------------
// Strand: the inbound side.

void connection::opened(transport kind, std::string remote) {
  ready_ = true;
  last_inbound_ = token_bucket::clock::now();
  net_log().debug("connection={} event=Open transport={} remote={}", id_,
                  kind == transport::tcp ? "tcp" : "websocket", remote);
  guarded("on_open", [&] { state_->callbacks().on_open(id_, kind, std::move(remote)); });
  arm_idle_timer();
  pump();  // anything sent before the handshake finished, or a close requested meanwhile
}

void connection::deliver(std::string text) {
  const auto now = token_bucket::clock::now();
  last_inbound_ = now;
  state_->counters().bytes_in.fetch_add(text.size(), std::memory_order_relaxed);
  if (closing_) return;  // we will not answer any more
  if (!rate_limit_.try_take(now)) {
    state_->counters().rate_limited.fetch_add(1, std::memory_order_relaxed);
    report_protocol_error(protocol_error::rate_limited);
    return;
  }
  guarded("on_message", [&] { state_->callbacks().on_message(id_, std::move(text)); });
}

void connection::report_protocol_error(const std::string& what) {
  state_->counters().protocol_errors.fetch_add(1, std::memory_order_relaxed);
  guarded("on_protocol_error", [&] { state_->callbacks().on_protocol_error(id_, what); });
}

void connection::report_oversized(const std::string& what) {
  state_->counters().frames_oversized.fetch_add(1, std::memory_order_relaxed);
  report_protocol_error(what);
}

void connection::finish(const std::string& reason) {
  if (finished_) return;
  finished_ = true;
  idle_timer_.cancel();
  grace_timer_.cancel();
  hard_close();
  discard_unsent();  // in-flight messages are released when their write fails
  state_->remove(id_);
  const std::string& why = closing_ ? close_reason_ : reason;
  net_log().debug("connection={} event=Close reason={}", id_, why);
  if (ready_) guarded("on_close", [&] { state_->callbacks().on_close(id_, why); });
}

// The idle deadline moves with every inbound message; the timer only re-checks it when it fires,
// so a busy connection costs no timer operations per message.
void connection::arm_idle_timer() {
  idle_timer_.expires_at(last_inbound_ + std::chrono::seconds(limits().idle_timeout_seconds));
  idle_timer_.async_wait(
      [self = shared_from_this()](boost::system::error_code ec) { self->on_idle_timer(ec); });
}

void connection::on_idle_timer(boost::system::error_code ec) {
  if (ec || finished_ || closing_) return;
  const auto deadline = last_inbound_ + std::chrono::seconds(limits().idle_timeout_seconds);
  if (token_bucket::clock::now() < deadline) {
    arm_idle_timer();
    return;
  }
  state_->counters().idle_timeouts.fetch_add(1, std::memory_order_relaxed);
  begin_close(close_cause::idle, "idle timeout");
}

// No exception may escape an Asio handler: a throwing callback closes its connection instead.
template <class Callback>
void connection::guarded(const char* what, Callback&& callback) {
  try {
    callback();
  } catch (const std::exception& error) {
    net_log().error("connection={} event=CallbackFailed callback={} what={}", id_, what,
                    error.what());
    begin_close(close_cause::internal, "internal error");
  }
}

}  // namespace redrund::net
