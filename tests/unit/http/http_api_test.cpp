// The computers' http API: the Lua binding against a scripted provider (argument errors,
// refusals, handles in events, receive's waits), the daemon's provider on its own (limits and
// CC's error wording), and a whole round trip to a real WebSocket echo server.

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "app/outbound_http_client.hpp"
#include "app/serve_config.hpp"
#include "bench/ws_echo_baseline.hpp"
#include "support/sim_fixture.hpp"

namespace {

using redrund::http_headers;
using redrund::http_outcome;
using redrund::websocket_state;
using redrund::testing::capture_output;

// A provider that records what the binding asks for and answers as told.
class scripted_http final : public redrund::outbound_http {
 public:
  http_outcome open_answer;  // status ok: a new connection id is given
  std::vector<std::string> opened_urls;
  http_headers last_headers;
  std::vector<std::pair<std::string, bool>> sent;
  std::map<std::uint64_t, websocket_state> states;
  std::vector<std::uint64_t> closed;

  http_outcome open_websocket(std::uint32_t, std::string_view url, const http_headers& headers) override {
    opened_urls.emplace_back(url);
    last_headers = headers;
    if (open_answer.result != http_outcome::status::ok) return open_answer;
    const std::uint64_t id = 100 + states.size();
    states[id] = websocket_state::connecting;
    return {http_outcome::status::ok, {}, id};
  }
  http_outcome check_url(std::uint32_t, std::string_view) override { return http_outcome::refuse("URL malformed"); }
  http_outcome send(std::uint32_t, std::uint64_t, std::string_view message, bool binary) override {
    if (message == "too big") return http_outcome::fail("Message is too large");
    sent.emplace_back(std::string(message), binary);
    return {};
  }
  void close(std::uint32_t, std::uint64_t id) override {
    closed.push_back(id);
    states[id] = websocket_state::closed;
  }
  websocket_state state(std::uint32_t, std::uint64_t id) const override {
    const auto found = states.find(id);
    return found == states.end() ? websocket_state::closed : found->second;
  }
  void close_all(std::uint32_t) override {}
  const redrund::http_limits& limits() const override { return limits_; }

 private:
  redrund::http_limits limits_;
};

redrund::event make_event(std::string name, std::vector<redrund::value> args) {
  redrund::event e{std::move(name), {}};
  e.args.items = std::move(args);
  return e;
}

// One computer running `program`, with `provider` as its http (nullptr: none), in virtual time.
struct http_world {
  http_world(const std::string& program, redrund::outbound_http* provider, std::vector<std::string> args = {}) {
    std::ofstream(dir.path() / "main.lua", std::ios::binary) << program;
    redrund::computer_setup setup;
    setup.data_dir = dir.path();
    setup.startup = redrund::startup_program{"main.lua", std::move(args), {}};
    c = &sim.add_computer(std::move(setup), output);
    c->set_http(provider);
    c->turn_on();
  }

  // Runs until the program ends or waits for an event that only the test can send.
  void settle() {
    redrund::run_virtual(sim, [this] { return c->program_done(); }, 20 * 600);
  }
  void send(redrund::event e) {
    c->queue_event(std::move(e));
    settle();
  }
  std::string out() const { return output.text_of(0); }
  std::string err() const { return output.text_of(0, redrund::output_stream::err); }

  redrund::temp_dir dir;
  redrund::simulation sim{redrund::world_clock{}};
  capture_output output;
  redrund::computer* c = nullptr;
};

}  // namespace

TEST_CASE("without a provider a computer has no http API", "[http]") {
  http_world w("print(type(http))", nullptr);
  w.settle();
  CHECK(w.out() == "nil");
}

// The terminal wraps at 51 columns, so long messages are compared in Lua.
TEST_CASE("http functions check their arguments with CC's messages", "[http]") {
  scripted_http provider;
  http_world w(R"lua(
    local function check(f, expected)
      local _, err = pcall(f)
      print(err == expected and "ok" or "got " .. tostring(err))
    end
    check(function() http.websocket() end, "/main.lua:6: bad argument #1 to 'websocket' (string expected, got nil)")
    check(function() http.websocket("ws://a", 5) end,
      "/main.lua:7: bad argument #2 to 'websocket' (table or nil expected, got number)")
    check(function() http.websocketAsync(7) end,
      "/main.lua:9: bad argument #1 to 'websocketAsync' (string expected, got number)")
    check(function() http.checkURL() end, "/main.lua:11: bad argument #1 to 'checkURL' (string expected, got nil)")
    check(function() http.websocket({ url = 5 }) end, "bad field 'url' (string expected, got number)")
    check(function() http.websocket({ url = "ws://a", headers = "x" }) end,
      "bad field 'headers' (table expected, got string)")
    print(http.request, http.get, http.post)
  )lua", &provider);
  w.settle();
  CHECK(w.out() == "ok\nok\nok\nok\nok\nok\nnil\tnil\tnil");
  CHECK(provider.opened_urls.empty());
}

TEST_CASE("a refused URL is returned, and websocketAsync also queues websocket_failure", "[http]") {
  scripted_http provider;
  provider.open_answer = http_outcome::refuse("URL malformed");
  http_world w(R"lua(
    print(http.websocket("nope"))
    print(http.websocketAsync("nope2"))
    print(os.pullEvent("websocket_failure"))
    print(http.checkURL("ws://x"))
  )lua", &provider);
  w.settle();
  CHECK(w.out() == "false\tURL malformed\nfalse\tURL malformed\nwebsocket_failure\tnope2\tURL malformed\nfalse\tURL malformed");
}

TEST_CASE("errors the provider raises become Lua errors", "[http]") {
  scripted_http provider;
  provider.open_answer = http_outcome::fail("Too many websockets already open");
  http_world w("print(pcall(http.websocketAsync, 'ws://a'))", &provider);
  w.settle();
  CHECK(w.out() == "false\tToo many websockets already open");
}

TEST_CASE("websocket_success carries a handle whose methods reach the provider", "[http]") {
  scripted_http provider;
  http_world w(R"lua(
    local ws = http.websocket({ url = "ws://host/a", headers = { ["X-Key"] = "v", [1] = "ignored" } })
    print(type(ws), type(ws.send), type(ws.receive), type(ws.close))
    ws.send("h\233")
    ws.send(42)
    ws.send("\255\0", true)
    print(pcall(ws.send, {}))
    print(pcall(ws.send, "too big"))
    print(pcall(ws.receive, "soon"))
    print(ws.receive())
    print(select("#", ws.receive(2)))
    os.queueEvent("websocket_success", "ws://host/a", 99)
    print(select(3, os.pullEvent("websocket_success")))
    ws.close()
    print(pcall(ws.send, "x"))
    print(pcall(ws.receive))
  )lua", &provider);
  w.settle();
  REQUIRE(provider.opened_urls == std::vector<std::string>{"ws://host/a"});
  REQUIRE(provider.last_headers == http_headers{{"X-Key", "v"}});
  provider.states[100] = websocket_state::open;
  w.send(make_event("websocket_success", {redrund::value::of_string("ws://host/a"), redrund::value::of_number(100)}));
  // receive() waits for a message with the handle's URL; other URLs are not for it.
  w.send(make_event("websocket_message", {redrund::value::of_string("ws://other"), redrund::value::of_string("no"),
                                          redrund::value::of_boolean(false)}));
  w.send(make_event("websocket_message", {redrund::value::of_string("ws://host/a"), redrund::value::of_string("yes"),
                                          redrund::value::of_boolean(true)}));
  CHECK(w.out() ==
        "table\tfunction\tfunction\tfunction\n"
        "false\tbad argument #1 (string expected, got table)\n"
        "false\tMessage is too large\n"
        "false\tbad argument #1 (number expected, got string)\n"
        "yes\ttrue\n"
        "0\n"  // receive(2) timed out: nothing returned
        "99\n"  // a websocket_success the program queued itself keeps its number
        "false\tattempt to use a closed file\n"
        "false\tattempt to use a closed file");
  // Text goes out as CC sends it (each byte as a character, UTF-8 encoded); binary as is.
  REQUIRE(provider.sent.size() == 3);
  CHECK(provider.sent[0] == std::make_pair(std::string("h\xc3\xa9"), false));
  CHECK(provider.sent[1] == std::make_pair(std::string("42"), false));
  CHECK(provider.sent[2] == std::make_pair(std::string("\xff\0", 2), true));
  CHECK(provider.closed == std::vector<std::uint64_t>{100});
}

// receive takes the close for its own URL; the program then sees the next one.
TEST_CASE("receive returns nothing once the server closed the socket", "[http]") {
  scripted_http provider;
  http_world w(R"lua(
    http.websocketAsync("ws://h")
    local _, _, ws = os.pullEvent("websocket_success")
    print(select("#", ws.receive()))
    print(select(2, os.pullEvent("websocket_closed")))
  )lua", &provider);
  w.settle();
  provider.states[100] = websocket_state::open;
  w.send(make_event("websocket_success", {redrund::value::of_string("ws://h"), redrund::value::of_number(100)}));
  provider.states[100] = websocket_state::closed;
  w.send(make_event("websocket_closed", {redrund::value::of_string("ws://h"), redrund::value::of_string("bye"),
                                         redrund::value::of_number(1000)}));
  w.send(make_event("websocket_closed", {redrund::value::of_string("ws://h"), {}, {}}));
  CHECK(w.out() == "0\nws://h\tnil\tnil");
}

TEST_CASE("terminate stops a receive", "[http]") {
  scripted_http provider;
  http_world w(R"lua(
    http.websocketAsync("ws://h")
    local _, _, ws = os.pullEvent("websocket_success")
    print(pcall(ws.receive))
  )lua", &provider);
  w.settle();
  provider.states[100] = websocket_state::open;
  w.send(make_event("websocket_success", {redrund::value::of_string("ws://h"), redrund::value::of_number(100)}));
  w.send(make_event("terminate", {}));
  CHECK(w.out() == "false\tTerminated");
}

// ---- The daemon's provider, without a simulation: limits and CC's wording.

TEST_CASE("the daemon's provider refuses bad URLs and enforces its limits", "[http]") {
  redrund::http_config config;
  config.limits.websockets_per_computer_max = 2;
  config.limits.websocket_message_bytes_max = 16;
  std::string error;
  auto http = redrund::outbound_http_client::create(config, error);
  REQUIRE(http);
  using status = http_outcome::status;
  CHECK(http->open_websocket(1, "ws://", {}).message == "URL malformed");
  CHECK(http->open_websocket(1, "ws://a b", {}).message == "URL malformed");
  CHECK(http->open_websocket(1, "ws://host:99999/", {}).message == "URL malformed");
  CHECK(http->open_websocket(1, "http://host/", {}).message == "Invalid scheme 'http'");
  CHECK(http->open_websocket(1, "wss://host/", {}).result == status::refused);
  CHECK(http->open_websocket(1, "ws://host/", {{"Bad Name", "x"}}).message == "Invalid header name 'Bad Name'");
  CHECK(http->open_websocket(1, "ws://host/", {{"X", "a\r\nb"}}).result == status::error);
  CHECK(http->check_url(1, "example.org").message == "Must specify http or https");
  CHECK(http->check_url(1, "ws://example.org/").message == "Invalid protocol 'ws'");

  // Loopback is private: refused after resolving, as CC's default rules do (no network needed).
  const auto first = http->open_websocket(1, "127.0.0.1:1", {});  // no scheme: ws://
  const auto second = http->open_websocket(1, "ws://127.0.0.1:2/", {});
  REQUIRE(first.result == status::ok);
  REQUIRE(second.result == status::ok);
  CHECK(http->open_websocket(1, "ws://127.0.0.1:3/", {}).message == "Too many websockets already open");
  CHECK(http->open_websocket(2, "ws://127.0.0.1:3/", {}).result == status::ok);  // the limit is per computer
  CHECK(http->state(1, first.id) == websocket_state::connecting);
  CHECK(http->state(2, first.id) == websocket_state::closed);  // not computer 2's
  CHECK(http->send(1, first.id, "x", false).message == "attempt to use a closed file");
  CHECK(http->send(1, first.id, std::string(17, 'x'), false).message == "Message is too large");
  http->close(1, first.id);
  CHECK(http->state(1, first.id) == websocket_state::closed);
  CHECK(http->open_websocket(1, "ws://127.0.0.1:4/", {}).result == status::ok);
  http->close_all(1);
  CHECK(http->open_websocket(1, "ws://127.0.0.1:5/", {}).result == status::ok);
}

TEST_CASE("the allow list is checked when the configuration is read", "[http]") {
  redrund::http_config config;
  config.allow = {"127.0.0.1", "10.0.0.0/8", "::1", "localhost", "*"};
  std::string error;
  CHECK(redrund::outbound_http_client::create(config, error));
  config.allow = {"10.0.0.0/40"};
  CHECK_FALSE(redrund::outbound_http_client::create(config, error));
  CHECK(error == "bad CIDR prefix in '10.0.0.0/40'");
  config.allow = {"a b"};
  CHECK_FALSE(redrund::outbound_http_client::create(config, error));
}

TEST_CASE("the serve configuration's http section", "[http]") {
  const auto off = redrund::parse_serve_config(R"({"http": {}})");
  REQUIRE(off.value);
  CHECK_FALSE(off.value->http.enabled);
  const auto on = redrund::parse_serve_config(
      R"({"http": {"enabled": true, "allow": ["127.0.0.1", "10.0.0.0/8"], "websockets_per_computer_max": 8,
                   "websocket_message_bytes_max": 1024, "timeout_seconds": 5}})");
  REQUIRE(on.value);
  CHECK(on.value->http.enabled);
  CHECK(on.value->http.allow == std::vector<std::string>{"127.0.0.1", "10.0.0.0/8"});
  CHECK(on.value->http.limits.websockets_per_computer_max == 8);
  CHECK(on.value->http.limits.websocket_message_bytes_max == 1024);
  CHECK(on.value->http.client.timeout_seconds == 5);
  const auto bad = redrund::parse_serve_config(R"({"http": {"enabled": 1, "allow": ["a b"], "extra": 0}})");
  CHECK_FALSE(bad.value);
  REQUIRE(bad.errors.size() == 3);
  CHECK(bad.errors[0].rfind("http.extra: unknown key", 0) == 0);
  CHECK(bad.errors[1] == "http.enabled: expected true or false");
  CHECK(bad.errors[2] == "http.allow: 'a b' is not a host name, an IP address or a CIDR range");
}

TEST_CASE("URL parsing and the private-address rule", "[http]") {
  using redrund::net::parse_url;
  const auto url = parse_url("WS://Example.ORG:8080/path?q=1#frag", "ws");
  REQUIRE(url);
  CHECK(url->scheme == "ws");
  CHECK(url->host == "example.org");
  CHECK(url->port == 8080);
  CHECK(url->target == "/path?q=1");
  const auto v6 = parse_url("ws://[::1]/", "ws");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 80);
  CHECK(parse_url("example.org", "ws")->target == "/");
  CHECK_FALSE(parse_url("ws://user@host/", "ws"));
  CHECK_FALSE(parse_url("ws://[::1/", "ws"));

  std::string error;
  const auto policy = redrund::net::host_policy::parse({"192.168.1.0/24", "intranet"}, error);
  REQUIRE(policy);
  CHECK(policy->permits("example.org", "93.184.216.34"));
  CHECK_FALSE(policy->permits("localhost", "127.0.0.1"));
  CHECK_FALSE(policy->permits("x", "10.1.2.3"));
  CHECK_FALSE(policy->permits("x", "100.100.0.1"));   // carrier-grade NAT
  CHECK_FALSE(policy->permits("x", "::ffff:10.0.0.1"));  // IPv4-mapped
  CHECK_FALSE(policy->permits("x", "fd12::1"));
  CHECK_FALSE(policy->permits("x", "fe80::1"));
  CHECK(policy->permits("x", "192.168.1.77"));
  CHECK_FALSE(policy->permits("x", "192.168.2.77"));
  CHECK(policy->permits("INTRANET", "10.9.9.9"));
  CHECK(policy->permits("x", "2001:db8::1"));
}

// ---- End to end: a computer talks to a real WebSocket server through the daemon's provider.

namespace {

// Drives the world in real time (as serve does) until the computer's program ends.
bool run_real_time(http_world& w, redrund::outbound_http_client& http, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    http.deliver(w.sim);
    w.sim.run_ready();
    if (w.c->program_done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w.sim.advance_tick();
  }
  return false;
}

}  // namespace

TEST_CASE("a computer exchanges messages with a real WebSocket server", "[http]") {
  boost::asio::io_context ioc;
  unsigned short port = 0;
  redrund::bench::start_bare_ws_echo(ioc, port);
  std::thread server([&ioc] { ioc.run(); });

  redrund::http_config config;
  config.allow = {"127.0.0.1"};
  std::string error;
  auto http = redrund::outbound_http_client::create(config, error);
  REQUIRE(http);
  const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/echo";
  {
    http_world w(R"lua(
      local url = ...
      local ws = assert(http.websocket(url))
      ws.send("hello")
      print(ws.receive(5))
      ws.send("\1\2\255", true)
      local data, binary = ws.receive(5)
      print(#data, data:byte(3), binary)
      ws.close()
      print(http.websocket("ws://127.0.0.1:1/"))
    )lua", http.get(), {url});
    REQUIRE(run_real_time(w, *http, std::chrono::seconds(20)));
    CHECK(w.out() == "hello\tfalse\n3\t255\ttrue\nfalse\tCould not connect");
    CHECK(w.err().empty());
  }
  const std::string metrics = http->metrics_text();
  CHECK(metrics.find("redrund_http_websocket_messages_total{direction=\"out\"} 2") != std::string::npos);
  CHECK(metrics.find("redrund_http_websocket_failed_total 1") != std::string::npos);
  ioc.stop();
  server.join();
}
