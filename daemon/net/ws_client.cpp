// Outbound WebSocket client sessions. One of the few translation units that instantiate Beast
// (design guide §9): everything else sees the small interface in ws_client.hpp.

#include "net/ws_client.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "net/asio_names.hpp"

namespace redrund::net {

namespace {

class ws_session;

struct atomic_stats {
  std::atomic<std::uint64_t> connected{0}, failed{0}, closed_by_peer{0}, messages_in{0}, messages_out{0},
      bytes_in{0}, bytes_out{0}, messages_dropped{0}, messages_too_large{0}, denied{0};
};

// Headers the handshake itself sets; a computer's own values for them would break it.
bool reserved_header(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name == "host" || name == "upgrade" || name == "connection" || name == "sec-websocket-key" ||
         name == "sec-websocket-version";
}

// "host:port" as the Host header wants it (brackets around IPv6 addresses).
std::string host_header(const url_parts& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != default_port(url.scheme)) host += ":" + std::to_string(url.port);
  return host;
}

}  // namespace

struct ws_client::state {
  state(ws_client_limits l, host_policy p, std::string agent)
      : limits(l), policy(std::move(p)), user_agent(std::move(agent)), work(asio::make_work_guard(ioc)) {}

  // Queues a completion; messages beyond the inbound caps are dropped and counted, the rest
  // (opened, failed, closed, checked) always get in: they are bounded by connections_max.
  // The wake-up is called under the lock, so once set_notify has replaced it the old one is
  // never called again (its owner may go away).
  void complete(ws_completion c) {
    std::lock_guard lock(mutex);
    if (c.what == ws_completion::kind::message) {
      if (inbound_messages >= limits.inbound_messages_max || inbound_bytes + c.text.size() > limits.inbound_bytes_max) {
        ++counters.messages_dropped;
        return;
      }
      ++inbound_messages;
      inbound_bytes += c.text.size();
    }
    completions.push_back(std::move(c));
    if (notify) notify();
  }

  void forget(std::uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
  }

  asio::io_context ioc;  // declared first: destroyed last, after every session it holds
  ws_client_limits limits;
  host_policy policy;
  std::string user_agent;
  atomic_stats counters;
  std::mutex mutex;  // guards everything below
  std::map<std::uint64_t, std::shared_ptr<ws_session>> sessions;
  std::size_t checks_running = 0;
  std::deque<ws_completion> completions;
  std::size_t inbound_messages = 0;
  std::size_t inbound_bytes = 0;
  std::function<void()> notify;
  std::uint64_t next_id = 1;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

namespace {

using client_state = ws_client::state;

// One outbound connection, on the client's single Asio thread: resolve, connect, handshake
// (all within timeout_seconds), then read messages until either side closes.
class ws_session : public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(client_state& owner, std::uint64_t id, url_parts url, std::vector<std::pair<std::string, std::string>> headers)
      : owner_(owner), id_(id), url_(std::move(url)), headers_(std::move(headers)),
        resolver_(owner.ioc), deadline_(owner.ioc), ws_(owner.ioc) {}

  void start() {
    deadline_.expires_after(std::chrono::seconds(owner_.limits.timeout_seconds));
    deadline_.async_wait([self = shared_from_this()](error_code ec) { self->on_deadline(ec); });
    resolver_.async_resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service,
                            [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

  // Called by the client on its own thread; closes quietly (no completion).
  void close_quietly() {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    resolver_.cancel();
    if (!opened_) return cut();
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](error_code) { self->cut(); });
  }

  // Queued by send(); written one at a time, in order.
  void write(std::string data, bool binary) {
    if (finished_) return written();
    writes_.push_back({std::move(data), binary});
    if (writes_.size() == 1) do_write();
  }

 private:
  struct outgoing {
    std::string data;
    bool binary;
  };

  void on_deadline(error_code ec) {
    if (ec || opened_ || finished_) return;
    timed_out_ = true;
    resolver_.cancel();
    cut();
  }

  void on_resolve(error_code ec, tcp::resolver::results_type results) {
    if (finished_) return;
    if (ec || results.empty()) return fail(timed_out_ ? "Timed out" : "Unknown host");
    const tcp::endpoint endpoint = *results.begin();
    if (!owner_.policy.permits(url_.host, endpoint.address().to_string())) {
      ++owner_.counters.denied;
      return fail("Domain not permitted");
    }
    beast::get_lowest_layer(ws_).async_connect(endpoint, [self = shared_from_this()](error_code connect_ec) {
      self->on_connect(connect_ec);
    });
  }

  void on_connect(error_code ec) {
    if (finished_) return;
    if (ec) return fail(timed_out_ ? "Timed out" : "Could not connect");
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(owner_.limits.timeout_seconds);
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [agent = owner_.user_agent, headers = headers_](websocket::request_type& request) {
          request.set(beast::http::field::user_agent, agent);
          for (const auto& [name, value] : headers)
            if (!reserved_header(name)) request.set(name, value);
        }));
    ws_.read_message_max(owner_.limits.message_bytes_max);
    ws_.async_handshake(host_header(url_), url_.target,
                        [self = shared_from_this()](error_code handshake_ec) { self->on_handshake(handshake_ec); });
  }

  void on_handshake(error_code ec) {
    if (finished_) return;
    if (ec) return fail(timed_out_ ? "Timed out" : "Could not connect");
    opened_ = true;
    deadline_.cancel();
    ++owner_.counters.connected;
    owner_.complete({ws_completion::kind::connected, id_, {}, false, -1, false});
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (finished_) return;
    if (ec == websocket::error::closed) {
      const websocket::close_reason& reason = ws_.reason();
      return end(reason.code == websocket::close_code::none ? -1 : static_cast<int>(reason.code),
                 std::string(reason.reason.data(), reason.reason.size()));
    }
    if (ec == websocket::error::message_too_big) {
      ++owner_.counters.messages_too_large;
      return end(-1, "Message is too large");
    }
    if (ec) return end(-1, "Connection closed");
    ++owner_.counters.messages_in;
    owner_.counters.bytes_in += buffer_.size();
    owner_.complete({ws_completion::kind::message, id_, beast::buffers_to_string(buffer_.data()), ws_.got_binary(), -1, false});
    buffer_.consume(buffer_.size());
    do_read();
  }

  void do_write() {
    ws_.binary(writes_.front().binary);
    ws_.async_write(asio::buffer(writes_.front().data), [self = shared_from_this()](error_code ec, std::size_t bytes) {
      self->on_write(ec, bytes);
    });
  }

  void on_write(error_code ec, std::size_t bytes) {
    writes_.pop_front();
    written();
    if (ec || finished_) {
      // The read side reports the connection's end; what was still queued is discarded.
      for (std::size_t i = 0; i < writes_.size(); ++i) written();
      writes_.clear();
      return;
    }
    ++owner_.counters.messages_out;
    owner_.counters.bytes_out += bytes;
    if (!writes_.empty()) do_write();
  }

  void written() { --queued_writes; }

  void fail(std::string reason) {
    finished_ = true;
    deadline_.cancel();
    ++owner_.counters.failed;
    owner_.forget(id_);
    owner_.complete({ws_completion::kind::failed, id_, std::move(reason), false, -1, false});
    cut();
  }

  void end(int code, std::string reason) {
    finished_ = true;
    ++owner_.counters.closed_by_peer;
    owner_.forget(id_);
    owner_.complete({ws_completion::kind::closed, id_, std::move(reason), false, code, false});
    cut();
  }

  void cut() {
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  client_state& owner_;
  std::uint64_t id_;
  url_parts url_;
  std::vector<std::pair<std::string, std::string>> headers_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<outgoing> writes_;
  bool opened_ = false;
  bool finished_ = false;
  bool timed_out_ = false;

 public:
  // Messages accepted by send() and not yet written or discarded (read by send() under the
  // client's mutex, changed on the client's thread).
  std::atomic<std::size_t> queued_writes{0};
};

// Resolves a URL's host and applies the policy (http.checkURL).
class url_check : public std::enable_shared_from_this<url_check> {
 public:
  url_check(client_state& owner, std::uint64_t id, url_parts url)
      : owner_(owner), id_(id), url_(std::move(url)), resolver_(owner.ioc), deadline_(owner.ioc) {}

  void start() {
    deadline_.expires_after(std::chrono::seconds(owner_.limits.timeout_seconds));
    deadline_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service,
                            [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

 private:
  void on_resolve(error_code ec, tcp::resolver::results_type results) {
    deadline_.cancel();
    ws_completion done{ws_completion::kind::checked, id_, {}, false, -1, false};
    if (ec || results.empty()) {
      done.text = ec == asio::error::operation_aborted ? "Timed out" : "Unknown host";
    } else if (!owner_.policy.permits(url_.host, results.begin()->endpoint().address().to_string())) {
      ++owner_.counters.denied;
      done.text = "Domain not permitted";
    } else {
      done.ok = true;
    }
    {
      std::lock_guard lock(owner_.mutex);
      --owner_.checks_running;
    }
    owner_.complete(std::move(done));
  }

  client_state& owner_;
  std::uint64_t id_;
  url_parts url_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
};

}  // namespace

ws_client::ws_client(ws_client_limits limits, host_policy policy, std::string user_agent)
    : state_(std::make_unique<state>(limits, std::move(policy), std::move(user_agent))) {
  state_->thread = std::thread([s = state_.get()] { s->ioc.run(); });
}

ws_client::~ws_client() {
  std::vector<std::shared_ptr<ws_session>> open;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& [id, session] : state_->sessions) open.push_back(session);
    state_->sessions.clear();
  }
  for (auto& session : open) asio::post(state_->ioc, [session] { session->close_quietly(); });
  state_->work.reset();
  // Close frames get a moment to go out; whatever is still running then is abandoned.
  asio::post(state_->ioc, [s = state_.get()] {
    auto timer = std::make_shared<asio::steady_timer>(s->ioc, std::chrono::milliseconds(200));
    timer->async_wait([s, timer](error_code) { s->ioc.stop(); });
  });
  state_->thread.join();
}

void ws_client::set_notify(std::function<void()> notify) {
  std::lock_guard lock(state_->mutex);
  state_->notify = std::move(notify);
}

std::uint64_t ws_client::connect(url_parts url, std::vector<std::pair<std::string, std::string>> headers) {
  std::lock_guard lock(state_->mutex);
  if (state_->sessions.size() >= state_->limits.connections_max) return 0;
  const std::uint64_t id = state_->next_id++;
  auto session = std::make_shared<ws_session>(*state_, id, std::move(url), std::move(headers));
  state_->sessions.emplace(id, session);
  asio::post(state_->ioc, [session] { session->start(); });
  return id;
}

std::uint64_t ws_client::check(url_parts url) {
  std::lock_guard lock(state_->mutex);
  if (state_->checks_running >= state_->limits.checks_max) return 0;
  ++state_->checks_running;
  const std::uint64_t id = state_->next_id++;
  auto check = std::make_shared<url_check>(*state_, id, std::move(url));
  asio::post(state_->ioc, [check] { check->start(); });
  return id;
}

ws_client::send_status ws_client::send(std::uint64_t id, std::string data, bool binary) {
  std::lock_guard lock(state_->mutex);
  const auto found = state_->sessions.find(id);
  if (found == state_->sessions.end()) return send_status::unknown_connection;
  std::shared_ptr<ws_session> session = found->second;
  if (session->queued_writes >= state_->limits.outbound_messages_max) return send_status::queue_full;
  ++session->queued_writes;
  asio::post(state_->ioc, [session, data = std::move(data), binary]() mutable { session->write(std::move(data), binary); });
  return send_status::queued;
}

void ws_client::close(std::uint64_t id) {
  std::shared_ptr<ws_session> session;
  {
    std::lock_guard lock(state_->mutex);
    const auto found = state_->sessions.find(id);
    if (found == state_->sessions.end()) return;
    session = found->second;
    state_->sessions.erase(found);
  }
  asio::post(state_->ioc, [session] { session->close_quietly(); });
}

std::vector<ws_completion> ws_client::take() {
  std::lock_guard lock(state_->mutex);
  std::vector<ws_completion> taken(std::make_move_iterator(state_->completions.begin()),
                                   std::make_move_iterator(state_->completions.end()));
  state_->completions.clear();
  state_->inbound_messages = 0;
  state_->inbound_bytes = 0;
  return taken;
}

ws_client_stats ws_client::stats() const {
  const atomic_stats& c = state_->counters;
  ws_client_stats out{c.connected, c.failed, c.closed_by_peer, c.messages_in, c.messages_out, c.bytes_in,
                      c.bytes_out, c.messages_dropped, c.messages_too_large, c.denied, 0};
  std::lock_guard lock(state_->mutex);
  out.connections = state_->sessions.size();
  return out;
}

const ws_client_limits& ws_client::limits() const { return state_->limits; }

}  // namespace redrund::net
