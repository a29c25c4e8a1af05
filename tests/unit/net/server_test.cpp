// redrund::net::server against real sockets on 127.0.0.1 (see net_test_support.hpp for how the
// clients are driven). Only the idle-timeout test waits on real time (about 1 s).

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench/ws_echo_baseline.hpp"
#include "net/server.hpp"
#include "net_test_support.hpp"

using namespace redrund::net_test;  // NOLINT: test-only helpers

TEST_CASE("server echoes over WebSocket and TCP", "[net]") {
  server_fixture fixture;
  client_loop loop;
  ws_client ws(loop);
  tcp_client tcp_peer(loop);
  REQUIRE_FALSE(ws.connect(fixture.server.bound_ws()));
  REQUIRE_FALSE(tcp_peer.connect(fixture.server.bound_tcp()));

  std::string reply;
  REQUIRE_FALSE(ws.write("{\"hello\":1}"));
  REQUIRE_FALSE(ws.read(reply));
  CHECK(reply == "{\"hello\":1}");

  REQUIRE_FALSE(tcp_peer.write("ping\nwith crlf\r\n"));
  REQUIRE_FALSE(tcp_peer.read_line(reply));
  CHECK(reply == "ping");
  REQUIRE_FALSE(tcp_peer.read_line(reply));
  CHECK(reply == "with crlf");

  CHECK(fixture.callbacks.wait_until([](auto& c) { return c.opened.size() == 2; }));
  CHECK(fixture.server.connection_count() == 2);
  CHECK_FALSE(fixture.server.send(999999, "nobody"));
  const auto stats = fixture.server.stats();
  CHECK(stats.accepted == 2);
  CHECK(stats.bytes_in == 11 + 4 + 9);  // payloads: framing ("\r\n", WebSocket headers) excluded
}

TEST_CASE("an oversized WebSocket frame closes with 1009", "[net]") {
  net::net_limits limits;
  limits.frame_bytes_max = 1024;
  server_fixture fixture(limits);
  client_loop loop;
  ws_client ws(loop);
  REQUIRE_FALSE(ws.connect(fixture.server.bound_ws()));

  REQUIRE_FALSE(ws.write(std::string(1024, 'a')));  // at the limit: fine
  std::string reply;
  REQUIRE_FALSE(ws.read(reply));
  CHECK(reply.size() == 1024);

  ws.write(std::string(4096, 'b'));  // may or may not complete before the close arrives
  // Beast's teardown may close the socket before our close reply gets there, so the read can
  // end in EPIPE/ECONNRESET rather than `closed`; the close frame itself has arrived either way.
  CHECK(ws.read(reply));
  CHECK(ws.reason().code == websocket::close_code::too_big);
  CHECK(fixture.callbacks.wait_until([](auto& c) { return c.closed.size() == 1; }));
  CHECK(fixture.callbacks.wait_until(
      [](auto& c) { return c.errors.size() == 1 && c.errors[0].second == "frame too big"; }));
  CHECK(fixture.server.stats().frames_oversized == 1);
}

TEST_CASE("an oversized TCP line is discarded and the connection keeps working", "[net]") {
  net::net_limits limits;
  limits.frame_bytes_max = 1024;
  server_fixture fixture(limits);
  client_loop loop;
  tcp_client client(loop);
  REQUIRE_FALSE(client.connect(fixture.server.bound_tcp()));

  // Far larger than one read, so the discard spans many of them.
  REQUIRE_FALSE(client.write(std::string(300 * 1024, 'x') + "\nafter\n" + std::string(1024, 'y') +
                             "\r\n"));
  std::string reply;
  REQUIRE_FALSE(client.read_line(reply));
  CHECK(reply == "after");
  REQUIRE_FALSE(client.read_line(reply));
  CHECK(reply == std::string(1024, 'y'));
  CHECK(fixture.callbacks.wait_until(
      [](auto& c) { return c.errors.size() == 1 && c.errors[0].second == "line too long"; }));
  CHECK(fixture.server.stats().frames_oversized == 1);
  CHECK(fixture.server.connection_count() == 1);
}

TEST_CASE("binary WebSocket frames are reported and dropped", "[net]") {
  server_fixture fixture;
  client_loop loop;
  ws_client ws(loop);
  REQUIRE_FALSE(ws.connect(fixture.server.bound_ws()));
  REQUIRE_FALSE(ws.write("\x01\x02", true));
  REQUIRE_FALSE(ws.write("still here"));
  std::string reply;
  REQUIRE_FALSE(ws.read(reply));
  CHECK(reply == "still here");
  CHECK(fixture.callbacks.wait_until(
      [](auto& c) { return c.errors.size() == 1 && c.errors[0].second == "binary frame"; }));
}

TEST_CASE("the per-connection rate limit reports and drops excess messages", "[net]") {
  net::net_limits limits;
  limits.messages_per_second = 1;
  limits.burst_messages = 3;
  server_fixture fixture(limits);
  client_loop loop;
  tcp_client client(loop);
  REQUIRE_FALSE(client.connect(fixture.server.bound_tcp()));

  std::string burst;
  for (int i = 0; i < 10; ++i) burst += "m" + std::to_string(i) + "\n";
  REQUIRE_FALSE(client.write(burst));
  REQUIRE(fixture.callbacks.wait_until(
      [](auto& c) { return c.messages + static_cast<int>(c.errors.size()) >= 10; }));
  std::string reply;
  REQUIRE_FALSE(client.read_line(reply));
  CHECK(reply == "m0");  // the burst passes first

  // All ten were handled (the wait above synchronised with the server thread), so these are final.
  const auto& callbacks = fixture.callbacks;
  CHECK(callbacks.messages >= 3);
  CHECK(callbacks.messages <= 4);  // at most one token refilled, even on a slow machine
  for (const auto& error : callbacks.errors) CHECK(error.second == "rate limited");
  CHECK(fixture.server.stats().rate_limited == callbacks.errors.size());
  CHECK(fixture.server.connection_count() == 1);
}

TEST_CASE("a client that does not read is dropped and its queue stays bounded", "[net]") {
  net::net_limits limits;
  limits.outbound_bytes_max = 1 << 20;
  limits.close_grace_milliseconds = 200;  // the stuck write is cut after this
  server_fixture fixture(limits);
  client_loop loop;
  ws_client ws(loop);
  tcp_client tcp_peer(loop);
  REQUIRE_FALSE(ws.connect(fixture.server.bound_ws()));
  REQUIRE_FALSE(tcp_peer.connect(fixture.server.bound_tcp()));
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.opened.size() == 2; }));

  // From this (non-network) thread, as the simulation would: far more than the limit allows.
  const std::string large(64 * 1024, 'z');
  for (const auto& [id, kind] : fixture.callbacks.opened) {
    int accepted = 0;
    while (accepted < 10000 && fixture.server.send(id, large)) ++accepted;
    CHECK(accepted < 10000);
    CHECK_FALSE(fixture.server.send(id, "after the drop"));
    CHECK(fixture.server.stats().outbound_bytes_peak <= limits.outbound_bytes_max);
  }
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.closed.size() == 2; }));
  for (const auto& [id, reason] : fixture.callbacks.closed) CHECK(reason == "slow client");
  const auto stats = fixture.server.stats();
  CHECK(stats.slow_clients_dropped == 2);
  CHECK(stats.outbound_bytes == 0);
  CHECK(stats.connections == 0);
}

TEST_CASE("connections over connections_max are told why and closed", "[net]") {
  net::net_limits limits;
  limits.connections_max = 2;
  server_fixture fixture(limits);
  client_loop loop;
  tcp_client first(loop);
  ws_client second(loop);
  REQUIRE_FALSE(first.connect(fixture.server.bound_tcp()));
  REQUIRE_FALSE(second.connect(fixture.server.bound_ws()));
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.opened.size() == 2; }));

  tcp_client extra_tcp(loop);
  REQUIRE_FALSE(extra_tcp.connect(fixture.server.bound_tcp()));
  std::string line;
  REQUIRE_FALSE(extra_tcp.read_line(line));
  CHECK(line ==
        R"({"jsonrpc":"2.0","id":null,"error":{"code":-32004,"message":"too many connections"}})");
  CHECK(extra_tcp.read_line(line) == asio::error::eof);

  ws_client extra_ws(loop);
  REQUIRE_FALSE(extra_ws.connect(fixture.server.bound_ws()));
  CHECK(extra_ws.read(line) == websocket::error::closed);
  CHECK(extra_ws.reason().code == websocket::close_code::try_again_later);
  CHECK(extra_ws.reason().reason == "too many connections");

  auto stats = fixture.server.stats();
  CHECK(stats.accepted == 2);
  CHECK(stats.rejected == 2);

  // A freed slot admits the next client.
  for (const auto& [id, kind] : fixture.callbacks.opened) {
    if (kind == net::transport::tcp) fixture.server.close(id, "make room");
  }
  CHECK(first.read_line(line) == asio::error::eof);
  first.close();  // TCP's graceful close ends when the client closes its side too
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.closed.size() == 1; }));
  tcp_client next(loop);
  REQUIRE_FALSE(next.connect(fixture.server.bound_tcp()));
  REQUIRE_FALSE(next.write("in\n"));
  REQUIRE_FALSE(next.read_line(line));
  CHECK(line == "in");
}

TEST_CASE("silent connections are closed after the idle timeout", "[net]") {
  net::net_limits limits;
  limits.idle_timeout_seconds = 1;
  server_fixture fixture(limits);
  client_loop loop;
  tcp_client tcp_peer(loop);
  ws_client ws(loop);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE_FALSE(tcp_peer.connect(fixture.server.bound_tcp()));
  REQUIRE_FALSE(ws.connect(fixture.server.bound_ws()));

  std::string text;
  CHECK(tcp_peer.read_line(text) == asio::error::eof);
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
  tcp_peer.close();
  CHECK(ws.read(text) == websocket::error::closed);
  CHECK(ws.reason().code == websocket::close_code::normal);
  CHECK(ws.reason().reason == "idle timeout");
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.closed.size() == 2; }));
  for (const auto& [id, reason] : fixture.callbacks.closed) CHECK(reason == "idle timeout");
  CHECK(fixture.server.stats().idle_timeouts == 2);
}

TEST_CASE("the HTTP port serves /healthz and /metrics and nothing else", "[net]") {
  server_fixture fixture;
  client_loop loop;
  const std::string http = fixture.server.bound_http();

  auto response = http_get(loop, http, "/healthz");
  CHECK(starts_with(response, "HTTP/1.1 200 OK\r\n"));
  CHECK(response.substr(response.size() - 3) == "ok\n");

  fixture.callbacks.healthy_flag = false;
  CHECK(starts_with(http_get(loop, http, "/healthz"), "HTTP/1.1 503"));

  response = http_get(loop, http, "/metrics?x=1");
  CHECK(starts_with(response, "HTTP/1.1 200 OK\r\n"));
  CHECK(response.find("text/plain; version=0.0.4") != std::string::npos);
  CHECK(response.find("\ntest_metric 1\n") != std::string::npos);
  CHECK(response.find("\nredrund_net_http_requests_total 3\n") != std::string::npos);

  CHECK(starts_with(http_get(loop, http, "/"), "HTTP/1.1 404"));
  // No WebSocket upgrade on the HTTP port, and no plain HTTP on the ws port.
  const std::string upgrade =
      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  CHECK(starts_with(http_get(loop, http, "/", upgrade), "HTTP/1.1 404"));
  CHECK(starts_with(http_get(loop, fixture.server.bound_ws(), "/healthz"), "HTTP/1.1 4"));
}

TEST_CASE("send from other threads keeps each sender's order", "[net]") {
  server_fixture fixture;
  client_loop loop;
  tcp_client client(loop);
  REQUIRE_FALSE(client.connect(fixture.server.bound_tcp()));
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.opened.size() == 1; }));
  const auto id = fixture.callbacks.opened[0].first;

  constexpr int senders = 4;
  constexpr int per_sender = 200;
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < per_sender; ++i) fixture.server.send(id, std::to_string(s * 1000 + i));
    });
  }
  for (auto& thread : threads) thread.join();

  std::vector<int> next(senders, 0);
  std::string line;
  for (int n = 0; n < senders * per_sender; ++n) {
    REQUIRE_FALSE(client.read_line(line));
    const int value = std::stoi(line);
    CHECK(value % 1000 == next[static_cast<std::size_t>(value / 1000)]++);
  }
  for (int count : next) CHECK(count == per_sender);
}

TEST_CASE("stop closes every connection gracefully and the io_context runs dry", "[net]") {
  server_fixture fixture;
  client_loop loop;
  ws_client ws(loop);
  tcp_client tcp_peer(loop);
  REQUIRE_FALSE(ws.connect(fixture.server.bound_ws()));
  REQUIRE_FALSE(tcp_peer.connect(fixture.server.bound_tcp()));
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.opened.size() == 2; }));

  fixture.server.stop();
  std::string text;
  CHECK(ws.read(text) == websocket::error::closed);
  CHECK(ws.reason().code == websocket::close_code::going_away);
  CHECK(tcp_peer.read_line(text) == asio::error::eof);
  tcp_peer.close();
  REQUIRE(fixture.callbacks.wait_until([](auto& c) { return c.closed.size() == 2; }));
  for (const auto& [id, reason] : fixture.callbacks.closed) CHECK(reason == "server stopping");
  CHECK(fixture.server.connection_count() == 0);

  tcp_client late(loop);
  CHECK(late.connect(fixture.server.bound_tcp()) == asio::error::connection_refused);
  fixture.guard.reset();
  CHECK(fixture.wait_ioc_done());
}

TEST_CASE("the bare Beast echo baseline echoes", "[net][bench]") {
  asio::io_context ioc;
  unsigned short port = 0;
  redrund::bench::start_bare_ws_echo(ioc, port);
  REQUIRE(port != 0);
  std::thread runner([&] { ioc.run(); });
  {
    client_loop loop;
    ws_client ws(loop);
    REQUIRE_FALSE(ws.connect("127.0.0.1:" + std::to_string(port)));
    REQUIRE_FALSE(ws.write("{\"id\":1}"));
    std::string reply;
    REQUIRE_FALSE(ws.read(reply));
    CHECK(reply == "{\"id\":1}");
  }
  ioc.stop();
  runner.join();
}
