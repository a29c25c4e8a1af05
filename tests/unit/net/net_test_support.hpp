#pragma once

// Test support for the [net] tests: a recording echo implementation of server_callbacks, a
// fixture running the server's io_context on a thread of its own, and clients (Beast WebSocket,
// plain Asio TCP, raw HTTP) that the test thread drives one operation at a time with a deadline,
// so a broken server fails a check instead of hanging the test.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "net/server.hpp"

namespace redrund::net_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = redrund::net;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Long enough for a loaded 2-core machine; only reached when something is broken.
constexpr auto wait_max = 10s;

// Records what the server reports and echoes every message back through server::send.
class echo_callbacks final : public net::server_callbacks {
 public:
  net::server* server = nullptr;
  std::atomic<bool> healthy_flag{true};

  void on_open(net::connection_id id, net::transport kind, std::string) override {
    update([&] { opened.emplace_back(id, kind); });
  }
  void on_message(net::connection_id id, std::string text) override {
    update([&] { ++messages; });
    server->send(id, std::move(text));
  }
  void on_close(net::connection_id id, std::string reason) override {
    update([&] { closed[id] = std::move(reason); });
  }
  void on_protocol_error(net::connection_id id, std::string what) override {
    update([&] { errors.emplace_back(id, std::move(what)); });
  }
  std::string metrics_text() override { return "# TYPE test_metric gauge\ntest_metric 1\n"; }
  bool healthy() override { return healthy_flag; }

  // Waits until `predicate` (called under the lock) holds; false after wait_max.
  template <class Predicate>
  bool wait_until(Predicate predicate) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, wait_max, [&] { return predicate(*this); });
  }

  // Read these only under wait_until, or after the server thread has stopped.
  std::vector<std::pair<net::connection_id, net::transport>> opened;
  std::map<net::connection_id, std::string> closed;
  std::vector<std::pair<net::connection_id, std::string>> errors;
  int messages = 0;

 private:
  template <class Change>
  void update(Change change) {
    {
      std::lock_guard lock(mutex_);
      change();
    }
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
};

// A server on 127.0.0.1:0 (all three listeners) with its io_context on a background thread.
struct server_fixture {
  explicit server_fixture(net::net_limits limits = {})
      : server(ioc, {"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"}, limits, callbacks) {
    callbacks.server = &server;
    std::string error;
    REQUIRE(server.start(error));
    runner = std::thread([this] {
      ioc.run();
      ioc_done = true;
    });
  }

  ~server_fixture() {
    server.stop();
    guard.reset();
    const auto deadline = std::chrono::steady_clock::now() + wait_max;
    while (!ioc_done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    ioc.stop();
    runner.join();
  }

  // True once the io_context has run out of work (after stop and guard.reset()).
  bool wait_ioc_done() {
    const auto deadline = std::chrono::steady_clock::now() + wait_max;
    while (!ioc_done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    return ioc_done;
  }

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
  echo_callbacks callbacks;
  net::server server;
  std::atomic<bool> ioc_done{false};
  std::thread runner;
};

inline tcp::endpoint endpoint_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return {asio::ip::make_address(address.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))};
}

// The clients' io_context, run by the test thread one operation at a time.
struct client_loop {
  struct result {
    error_code ec;
    std::size_t bytes = 0;
    bool done = false;
  };

  // Starts an operation with a handler that fills `out`, then runs until it completes.
  template <class Start>
  result run(Start start) {
    result out;
    start([&out](error_code ec, std::size_t bytes = 0) {
      out.ec = ec;
      out.bytes = bytes;
      out.done = true;
    });
    ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + wait_max;
    while (!out.done && ioc.run_one_until(deadline) != 0) {
    }
    REQUIRE(out.done);
    return out;
  }

  asio::io_context ioc;
};

class tcp_client {
 public:
  explicit tcp_client(client_loop& loop) : loop_(loop), socket_(loop.ioc) {}

  error_code connect(const std::string& address) {
    return loop_.run([&](auto handler) { socket_.async_connect(endpoint_of(address), handler); }).ec;
  }
  error_code write(const std::string& bytes) {
    return loop_.run([&](auto handler) { asio::async_write(socket_, asio::buffer(bytes), handler); })
        .ec;
  }
  // One line without its "\n"; an error (eof when the server closed) leaves `line` empty.
  error_code read_line(std::string& line) {
    const auto result = loop_.run(
        [&](auto handler) { asio::async_read_until(socket_, asio::dynamic_buffer(input_), "\n", handler); });
    line.clear();
    if (result.ec) return result.ec;
    line = input_.substr(0, result.bytes - 1);
    input_.erase(0, result.bytes);
    return {};
  }
  // Everything until the server closes (for HTTP with Connection: close).
  void close() {
    error_code ignored;
    socket_.close(ignored);
  }
  std::string read_all() {
    loop_.run([&](auto handler) { asio::async_read(socket_, asio::dynamic_buffer(input_), handler); });
    return std::exchange(input_, {});
  }

 private:
  client_loop& loop_;
  tcp::socket socket_;
  std::string input_;
};

class ws_client {
 public:
  explicit ws_client(client_loop& loop) : loop_(loop), ws_(loop.ioc) {}

  error_code connect(const std::string& address) {
    auto ec = loop_.run([&](auto handler) { ws_.next_layer().async_connect(endpoint_of(address), handler); }).ec;
    if (ec) return ec;
    ws_.next_layer().set_option(tcp::no_delay(true), ec);  // no Nagle wait between small frames
    return loop_.run([&](auto handler) { ws_.async_handshake(address, "/", handler); }).ec;
  }
  error_code write(const std::string& text, bool binary = false) {
    ws_.binary(binary);
    return loop_.run([&](auto handler) { ws_.async_write(asio::buffer(text), handler); }).ec;
  }
  error_code read(std::string& text) {
    beast::flat_buffer buffer;
    const auto ec = loop_.run([&](auto handler) { ws_.async_read(buffer, handler); }).ec;
    text = beast::buffers_to_string(buffer.data());
    return ec;
  }
  websocket::close_reason reason() const { return ws_.reason(); }
  bool is_open() const { return ws_.is_open(); }

 private:
  client_loop& loop_;
  websocket::stream<tcp::socket> ws_;
};

inline std::string http_get(client_loop& loop, const std::string& address, const std::string& target,
                     const std::string& extra_headers = "") {
  tcp_client client(loop);
  REQUIRE_FALSE(client.connect(address));
  REQUIRE_FALSE(client.write("GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers +
                             "Connection: close\r\n\r\n"));
  return client.read_all();
}

inline bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace redrund::net_test
