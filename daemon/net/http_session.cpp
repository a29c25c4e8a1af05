// The HTTP port: GET /healthz and GET /metrics for probes and Prometheus, 404 for everything
// else (no WebSocket upgrade here: that is the ws port's job). The second of the two
// translation units that instantiate Beast.

#include <chrono>
#include <exception>
#include <optional>
#include <string_view>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "net/transports.hpp"

#include "net/asio_names.hpp"

namespace redrund::net {

namespace {

// Probes and scrapers send small header-only requests; nothing bigger is accepted.
constexpr std::uint32_t request_header_bytes_max = 8 * 1024;

using response_type = http::response<http::string_body>;

response_type make_response(unsigned version, http::status status, std::string body,
                            std::string_view content_type) {
  response_type response(status, version);
  response.set(http::field::server, "redrund");
  response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// Pure routing over the callbacks; throws only if a callback does.
response_type route(const http::request<http::empty_body>& request, shared_state& state) {
  const std::string_view path = path_of(request.target());
  const bool known = path == "/healthz" || path == "/metrics";
  const unsigned version = request.version();
  if (!known) return make_response(version, http::status::not_found, "not found\n", "text/plain");
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    auto response = make_response(version, http::status::method_not_allowed,
                                  "method not allowed\n", "text/plain");
    response.set(http::field::allow, "GET, HEAD");
    return response;
  }
  if (path == "/healthz") {
    const bool healthy = state.callbacks().healthy();
    return make_response(version, healthy ? http::status::ok : http::status::service_unavailable,
                         healthy ? "ok\n" : "unhealthy\n", "text/plain");
  }
  std::string body = state.callbacks().metrics_text();
  if (!body.empty() && body.back() != '\n') body += '\n';
  body += format_net_metrics(state.stats());
  return make_response(version, http::status::ok, std::move(body),
                       "text/plain; version=0.0.4; charset=utf-8");
}

// One keep-alive HTTP/1.1 connection on its own strand. Each request must arrive within the
// handshake timeout, which also bounds how long an idle keep-alive connection stays open.
class http_session final : public stoppable, public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket socket, std::shared_ptr<shared_state> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  ~http_session() override {
    if (key_) state_->remove_http(*key_);
  }

  void start(std::uint64_t key) {
    key_ = key;
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  void stop_async() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(request_header_bytes_max);
    stream_.expires_after(std::chrono::seconds(state_->limits().handshake_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(error_code ec) {
    if (ec) return close();  // includes end_of_stream, timeout, oversized or malformed request
    state_->counters().http_requests.fetch_add(1, std::memory_order_relaxed);
    const auto& request = parser_->get();
    try {
      response_ = route(request, *state_);
    } catch (const std::exception& error) {
      net_log().error("event=HttpHandlerFailed target={} what={}", std::string(request.target()),
                      error.what());
      response_ = make_response(request.version(), http::status::internal_server_error,
                                "internal error\n", "text/plain");
    }
    response_.keep_alive(request.keep_alive());
    if (request.method() == http::verb::head) response_.body().clear();
    http::async_write(stream_, response_, [self = shared_from_this()](error_code write_ec,
                                                                     std::size_t) {
      self->on_write(write_ec);
    });
  }

  void on_write(error_code ec) {
    if (ec || !response_.keep_alive()) return close();
    do_read();
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<shared_state> state_;
  std::optional<std::uint64_t> key_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  response_type response_;
};

}  // namespace

void start_http_session(tcp::socket socket, std::shared_ptr<shared_state> state) {
  auto session = std::make_shared<http_session>(std::move(socket), state);
  const auto key = state->admit_http(session);
  if (!key) return;  // over http_connections_max: dropping the socket closes it
  session->start(*key);
}

}  // namespace redrund::net
