#include "net/server.hpp"

#include <utility>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "net/connection.hpp"
#include "net/listener.hpp"
#include "net/shared_state.hpp"
#include "net/transports.hpp"

namespace redrund::net {

namespace asio = boost::asio;

std::string server_callbacks::overflow_notice(connection_id) {
  // -32005: next to the -32004 "too many connections" the TCP rejection uses; JSON-RPC
  // reserves -32000..-32099 for server errors.
  return R"({"jsonrpc":"2.0","id":null,"error":{"code":-32005,)"
         R"("message":"slow client: outbound queue full, disconnecting"}})";
}

// The listeners and the shared state; private to server, so its members are open to it.
// `state_` is shared with every session so a session may outlive the server object; the
// listener pointers are written only by start, before accepting begins.
class server_impl {
 public:
  using starter = void (*)(asio::ip::tcp::socket, std::shared_ptr<shared_state>);

  server_impl(asio::io_context& ioc, listen_config config, net_limits limits,
              server_callbacks& callbacks)
      : ioc_(ioc),
        config_(std::move(config)),
        state_(std::make_shared<shared_state>(std::move(limits), callbacks)) {}

  bool start(std::string& error);
  void stop();
  std::shared_ptr<listener> make_listener(const char* name, starter start_session);

  asio::io_context& ioc_;
  const listen_config config_;
  const std::shared_ptr<shared_state> state_;
  std::shared_ptr<listener> tcp_;
  std::shared_ptr<listener> ws_;
  std::shared_ptr<listener> http_;
};

std::shared_ptr<listener> server_impl::make_listener(const char* name, starter start_session) {
  return std::make_shared<listener>(ioc_, name,
                                    [state = state_, start_session](asio::ip::tcp::socket socket) {
                                      start_session(std::move(socket), state);
                                    });
}

bool server_impl::start(std::string& error) {
  if (tcp_ || ws_ || http_) {
    error = "server already started";
    return false;
  }
  struct wanted {
    const std::string& address;
    std::shared_ptr<listener>& slot;
    const char* name;
    starter start_session;
  };
  const wanted all[] = {{config_.tcp, tcp_, "tcp", &start_tcp_connection},
                        {config_.ws, ws_, "ws", &start_ws_connection},
                        {config_.http, http_, "http", &start_http_session}};
  for (const wanted& one : all) {
    if (one.address.empty()) continue;
    auto opened = make_listener(one.name, one.start_session);
    if (!opened->open(one.address, error)) {
      // All or nothing: release whatever was already bound.
      for (const wanted& other : all) other.slot.reset();
      return false;
    }
    one.slot = std::move(opened);
  }
  for (const wanted& one : all) {
    if (!one.slot) continue;
    one.slot->run();
    net_log().info("event=Listening listener={} address={}", one.name, one.slot->bound());
  }
  return true;
}

void server_impl::stop() {
  for (const auto& one : {tcp_, ws_, http_}) {
    if (one) one->stop();
  }
  for (const auto& session : state_->begin_stop()) session->stop_async();
}

//------------------------------------------------------------------------------

server::server(asio::io_context& ioc, listen_config config, net_limits limits,
               server_callbacks& callbacks)
    : impl_(std::make_unique<server_impl>(ioc, std::move(config), std::move(limits), callbacks)) {}

// Listeners stop accepting; live sessions keep the shared state alive until they end.
server::~server() { impl_->stop(); }

bool server::start(std::string& error) { return impl_->start(error); }

std::string server::bound_tcp() const { return impl_->tcp_ ? impl_->tcp_->bound() : ""; }
std::string server::bound_ws() const { return impl_->ws_ ? impl_->ws_->bound() : ""; }
std::string server::bound_http() const { return impl_->http_ ? impl_->http_->bound() : ""; }

bool server::send(connection_id id, std::string text) {
  auto session = impl_->state_->find(id);
  return session && session->send(std::move(text));
}

void server::close(connection_id id, std::string reason) {
  if (auto session = impl_->state_->find(id)) {
    session->request_close(close_cause::normal, std::move(reason));
  }
}

void server::stop() { impl_->stop(); }

std::size_t server::connection_count() const { return impl_->state_->connection_count(); }

net_stats server::stats() const { return impl_->state_->stats(); }

}  // namespace redrund::net
