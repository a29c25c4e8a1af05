#include "net/listener.hpp"

#include <charconv>
#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "net/shared_state.hpp"

#include "net/asio_names.hpp"

namespace redrund::net {

namespace {

// After an accept error such as EMFILE, wait before retrying instead of spinning.
constexpr std::chrono::milliseconds accept_retry_delay{100};

}  // namespace

bool split_host_port(const std::string& address, std::string& host, std::string& port) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned short number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  return ec == std::errc() && end == port.data() + port.size() && !port.empty();
}

listener::listener(asio::io_context& ioc, std::string name, accept_handler on_accept)
    : ioc_(ioc),
      name_(std::move(name)),
      on_accept_(std::move(on_accept)),
      acceptor_(asio::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()) {}

bool listener::open(const std::string& address, std::string& error) {
  const auto fail = [&](const std::string& step, const std::string& message) {
    error = name_ + " listener " + address + ": " + step + ": " + message;
    error_code ignored;
    acceptor_.close(ignored);
    return false;
  };
  std::string host;
  std::string port;
  if (!split_host_port(address, host, port)) return fail("address", "expected ADDR:PORT");
  error_code ec;
  tcp::resolver resolver(ioc_);
  const auto flags = tcp::resolver::passive | tcp::resolver::numeric_service;
  const auto results = resolver.resolve(host.empty() ? "0.0.0.0" : host, port, flags, ec);
  if (ec || results.empty()) return fail("resolve", ec ? ec.message() : "no address");
  const tcp::endpoint endpoint = results.begin()->endpoint();
  if (acceptor_.open(endpoint.protocol(), ec)) return fail("open", ec.message());
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) {
    return fail("set_option", ec.message());
  }
  if (acceptor_.bind(endpoint, ec)) return fail("bind", ec.message());
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
    return fail("listen", ec.message());
  }
  const tcp::endpoint local = acceptor_.local_endpoint(ec);
  if (ec) return fail("local_endpoint", ec.message());
  bound_ = format_endpoint(local.address().to_string(), local.port());
  return true;
}

void listener::run() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void listener::do_accept() {
  // Each connection gets its own strand, so its handlers never run concurrently.
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [self = shared_from_this()](error_code ec, tcp::socket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void listener::on_accept(error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    net_log().warn("event=AcceptFailed listener={} error={}", name_, ec.message());
    retry_timer_.expires_after(accept_retry_delay);
    retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
    });
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // request/response traffic: latency first
  on_accept_(std::move(socket));
  do_accept();
}

}  // namespace redrund::net
