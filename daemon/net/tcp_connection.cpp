// TCP transport: one message per "\n"-terminated line, in both directions.

#include <array>
#include <chrono>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "net/connection.hpp"
#include "net/line_framer.hpp"
#include "net/transports.hpp"

#include "net/asio_names.hpp"

namespace redrund::net {

std::string describe_remote(const tcp::socket& socket) {
  error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return format_endpoint(remote.address().to_string(), remote.port());
}

namespace {

// Read in pieces of this size; a line may span many of them (line_framer joins them).
constexpr std::size_t read_chunk_bytes = 16 * 1024;
// Lines gathered into one write: fewer syscalls under load (design guide §9: loopback is
// syscall-bound), small enough that one write does not hold many megabytes.
constexpr std::size_t write_batch_messages_max = 64;

constexpr std::string_view too_many_connections_line =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32004,"
    "\"message\":\"too many connections\"}}\n";

class tcp_connection final : public connection {
 public:
  tcp_connection(tcp::socket socket, std::shared_ptr<shared_state> state, connection_id id)
      : connection(state, id, socket.get_executor()),
        socket_(std::move(socket)),
        framer_(state->limits().frame_bytes_max) {}

  void run() {
    asio::post(socket_.get_executor(), [self = shared_self()] {
      self->opened(transport::tcp, describe_remote(self->socket_));
      self->do_read();
    });
  }

 private:
  std::shared_ptr<tcp_connection> shared_self() {
    return std::static_pointer_cast<tcp_connection>(shared_from_this());
  }

  void do_read() {
    socket_.async_read_some(asio::buffer(read_buffer_),
                            [self = shared_self()](error_code ec, std::size_t bytes) {
                              self->on_read(ec, bytes);
                            });
  }

  void on_read(error_code ec, std::size_t bytes) {
    if (ec) {
      finish(ec == asio::error::eof ? "client closed" : ec.message());
      return;
    }
    framer_.feed(
        std::string_view(read_buffer_.data(), bytes),
        [this](std::string&& line) { deliver(std::move(line)); },
        [this] { report_oversized(protocol_error::line_too_long); });
    if (!finished()) do_read();
  }

  std::size_t start_write(const std::deque<std::string>& queue) override {
    const std::size_t messages = std::min(queue.size(), write_batch_messages_max);
    write_buffers_.clear();
    for (std::size_t i = 0; i < messages; ++i) {
      write_buffers_.push_back(asio::buffer(queue[i]));
      write_buffers_.push_back(asio::buffer("\n", 1));
    }
    asio::async_write(socket_, write_buffers_,
                      [self = shared_self(), messages](error_code ec, std::size_t bytes) {
                        // Count payload bytes only, as the WebSocket side does.
                        self->on_write_done(ec, ec ? 0 : bytes - messages);
                      });
    return messages;
  }

  // TCP has no close frame: flush (done by the base), then send FIN; the read loop ends when
  // the client closes its side, or the grace timer cuts the socket.
  void start_graceful_close(close_cause, const std::string&) override {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  void hard_close() override {
    error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  std::array<char, read_chunk_bytes> read_buffer_{};
  line_framer framer_;
  std::vector<asio::const_buffer> write_buffers_;
};

// Over connections_max: one JSON-RPC error line, FIN, then whatever the client sent is read and
// dropped until it closes (closing with unread input would reset the connection and could
// destroy the line before the client reads it). Bounded by the handshake timeout.
class tcp_rejector : public std::enable_shared_from_this<tcp_rejector> {
 public:
  // Call only after state->begin_rejection() succeeded; the destructor ends it.
  tcp_rejector(tcp::socket socket, std::shared_ptr<shared_state> state)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        state_(std::move(state)),
        timeout_(state_->limits().handshake_timeout_seconds) {}
  ~tcp_rejector() { state_->end_rejection(); }
  tcp_rejector(const tcp_rejector&) = delete;
  tcp_rejector& operator=(const tcp_rejector&) = delete;

  void start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->run(); });
  }

 private:
  void run() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
    asio::async_write(socket_, asio::buffer(too_many_connections_line),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->drain();
                      });
  }

  void drain() {
    socket_.async_read_some(asio::buffer(sink_), [self = shared_from_this()](error_code ec,
                                                                             std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  void close() {
    error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<shared_state> state_;
  std::chrono::seconds timeout_;
  std::array<char, 512> sink_{};
};

}  // namespace

void start_tcp_connection(tcp::socket socket, std::shared_ptr<shared_state> state) {
  const auto id = state->admit();
  if (!id) {
    // Beyond the rejection cap the socket just closes as it goes out of scope.
    if (state->begin_rejection()) std::make_shared<tcp_rejector>(std::move(socket), state)->start();
    return;
  }
  auto session = std::make_shared<tcp_connection>(std::move(socket), state, *id);
  state->attach(*id, session);
  session->run();
}

}  // namespace redrund::net
