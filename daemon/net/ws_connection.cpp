// WebSocket transport: one message per text frame. One of the two translation units that
// instantiate Beast (design guide §9: keep its compile cost in one or two files).

#include <chrono>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "net/connection.hpp"
#include "net/transports.hpp"

#include "net/asio_names.hpp"

namespace redrund::net {

using ws_stream = websocket::stream<beast::tcp_stream>;

namespace {

// RFC 6455 §5.5: a control frame payload is at most 125 bytes, 2 of them the close code.
constexpr std::size_t close_reason_bytes_max = 123;

websocket::close_reason make_close_reason(websocket::close_code code, std::string_view text) {
  websocket::close_reason reason(code);
  reason.reason = std::string(text.substr(0, close_reason_bytes_max));
  return reason;
}

websocket::close_code close_code_for(close_cause cause) {
  switch (cause) {
    case close_cause::normal: return websocket::close_code::normal;
    case close_cause::going_away: return websocket::close_code::going_away;
    case close_cause::idle: return websocket::close_code::normal;
    case close_cause::slow_client: return websocket::close_code::policy_error;
    case close_cause::internal: return websocket::close_code::internal_error;
  }
  return websocket::close_code::normal;
}

// Our own timers handle idle and close grace; Beast's only bounds the opening and closing
// handshakes of a peer that stops answering.
void configure(ws_stream& ws, const net_limits& limits) {
  beast::get_lowest_layer(ws).expires_never();  // websocket timeouts replace tcp_stream's
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = std::chrono::seconds(limits.handshake_timeout_seconds);
  timeout.idle_timeout = websocket::stream_base::none();
  timeout.keep_alive_pings = false;
  ws.set_option(timeout);
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, "redrund");
  }));
  ws.read_message_max(limits.frame_bytes_max);
}

class ws_connection final : public connection {
 public:
  ws_connection(tcp::socket socket, std::shared_ptr<shared_state> state, connection_id id)
      : connection(state, id, socket.get_executor()),
        remote_(describe_remote(socket)),
        ws_(std::move(socket)) {}

  void run() {
    asio::post(ws_.get_executor(), [self = shared_self()] {
      configure(self->ws_, self->limits());
      self->ws_.async_accept([self](error_code ec) { self->on_accept(ec); });
    });
  }

 private:
  std::shared_ptr<ws_connection> shared_self() {
    return std::static_pointer_cast<ws_connection>(shared_from_this());
  }

  void on_accept(error_code ec) {
    if (ec) {
      finish("handshake failed: " + ec.message());
      return;
    }
    ws_.text(true);
    opened(transport::websocket, remote_);
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_self()](error_code ec, std::size_t bytes) {
      self->on_read(ec, bytes);
    });
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) {
      // Beast has already failed the connection with 1009 when read_message_max was exceeded.
      if (ec == websocket::error::message_too_big) report_oversized(protocol_error::frame_too_big);
      finish(ec == websocket::error::closed ? "client closed" : ec.message());
      return;
    }
    if (ws_.got_text()) {
      deliver(beast::buffers_to_string(buffer_.data()));
    } else {
      report_protocol_error(protocol_error::binary_frame);
    }
    buffer_.consume(buffer_.size());
    if (!finished()) do_read();
  }

  std::size_t start_write(const std::deque<std::string>& queue) override {
    ws_.async_write(asio::buffer(queue.front()),
                    [self = shared_self()](error_code ec, std::size_t bytes) {
                      self->on_write_done(ec, bytes);
                    });
    return 1;
  }

  // The pending async_read receives the peer's answering close frame and ends the read loop.
  void start_graceful_close(close_cause cause, const std::string& reason) override {
    ws_.async_close(make_close_reason(close_code_for(cause), reason),
                    [self = shared_self()](error_code ec) {
                      if (ec) self->hard_close();
                    });
  }

  void hard_close() override {
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  std::string remote_;
  ws_stream ws_;
  beast::flat_buffer buffer_;
};

// Over connections_max: complete the handshake so the client can be told why, in a close frame
// (1013 "try again later"), then let it go.
class ws_rejector : public std::enable_shared_from_this<ws_rejector> {
 public:
  // Call only after state->begin_rejection() succeeded; the destructor ends it.
  ws_rejector(tcp::socket socket, std::shared_ptr<shared_state> state)
      : ws_(std::move(socket)), state_(std::move(state)) {
    configure(ws_, state_->limits());
  }
  ~ws_rejector() { state_->end_rejection(); }
  ws_rejector(const ws_rejector&) = delete;
  ws_rejector& operator=(const ws_rejector&) = delete;

  void start() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->ws_.async_accept([self](error_code ec) {
        if (ec) return;
        auto reason = make_close_reason(websocket::close_code::try_again_later,
                                        "too many connections");
        self->ws_.async_close(reason, [self](error_code) {});
      });
    });
  }

 private:
  ws_stream ws_;
  std::shared_ptr<shared_state> state_;
};

}  // namespace

void start_ws_connection(tcp::socket socket, std::shared_ptr<shared_state> state) {
  const auto id = state->admit();
  if (!id) {
    // Beyond the rejection cap the socket just closes as it goes out of scope.
    if (state->begin_rejection()) std::make_shared<ws_rejector>(std::move(socket), state)->start();
    return;
  }
  auto session = std::make_shared<ws_connection>(std::move(socket), state, *id);
  state->attach(*id, session);
  session->run();
}

}  // namespace redrund::net
