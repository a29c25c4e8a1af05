// `redrund serve` driven by a Boost.Beast WebSocket client: starts the daemon (a child process on
// ephemeral ports, or connects to a running one with --ws ADDR), attaches by creating a
// computer, runs lua.eval and checks its values and its error replies.
//
// Usage: redrund_ws_client_test REDRUND_BINARY
//        redrund_ws_client_test --ws HOST:PORT --token TOKEN
// Exit status 0 when every check held; each failed check is printed.

#include <chrono>
#include <iostream>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "integration/daemon_process.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;
using tcp = asio::ip::tcp;

constexpr auto reply_timeout = std::chrono::seconds(30);

int failures = 0;

void check(bool held, const std::string& what, const json& seen = nullptr) {
  std::cout << (held ? "ok   " : "FAIL ") << what;
  if (!held && !seen.is_null()) std::cout << "  (got " << seen.dump() << ')';
  std::cout << '\n';
  if (!held) ++failures;
}

// A blocking JSON-RPC client over one WebSocket; notifications are counted and skipped.
class rpc_client {
 public:
  explicit rpc_client(const std::string& address) : ws_(ioc_) {
    const auto [host, port] = redrund::testing::split_address(address);
    tcp::resolver resolver(ioc_);
    beast::get_lowest_layer(ws_).expires_after(reply_timeout);
    beast::get_lowest_layer(ws_).connect(resolver.resolve(host, port));
    ws_.handshake(host, "/");
  }

  json call(const std::string& method, json params) {
    const int id = ++next_id_;
    send(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}.dump());
    for (;;) {
      json message = receive();
      if (message.is_object() && message.contains("id") && message["id"] == id) return message;
      ++notifications_;
    }
  }

  void send(const std::string& text) {
    beast::get_lowest_layer(ws_).expires_after(reply_timeout);
    ws_.text(true);
    ws_.write(asio::buffer(text));
  }

  json receive() {
    beast::flat_buffer buffer;
    beast::get_lowest_layer(ws_).expires_after(reply_timeout);
    ws_.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data()));
  }

  void close() { ws_.close(websocket::close_code::normal); }
  int notifications() const { return notifications_; }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  int next_id_ = 0;
  int notifications_ = 0;
};

json error_of(const json& reply) { return reply.contains("error") ? reply["error"] : json(); }

void run_checks(const std::string& address, const std::string& token) {
  rpc_client client(address);

  const json denied = client.call("computer.attach", {{"token", token + "-wrong"}, {"create", {{"position", {0, 64, 0}}}}});
  check(error_of(denied).value("code", 0) == -32002, "a wrong token is refused with -32002", denied);

  const json attached = client.call("computer.attach", {{"token", token},
                                                         {"create", {{"label", "beast-client"}, {"position", {1, 64, 2}}}}});
  check(attached.contains("result") && attached["result"].value("label", "") == "beast-client",
        "computer.attach {create} returns the new computer", attached);
  if (!attached.contains("result")) return;
  const json id = attached["result"]["id"];

  const json values = client.call("lua.eval", {{"id", id},
                                                {"code", "local a, b = ... return a * 6, b .. '!', os.getComputerID()"},
                                                {"args", {7, "hi"}}});
  check(values.value("result", json()) == json::array({42, "hi!", id}), "lua.eval returns every value of the chunk",
        values);

  const json table = client.call("lua.eval", {{"id", id}, {"code", "return { x = 1, list = { 'a', 'b' } }"}});
  check(table.value("result", json()) == json::parse(R"([{"x": 1, "list": ["a", "b"]}])"),
        "tables come back as JSON objects and arrays", table);

  const json raised = client.call("lua.eval", {{"id", id}, {"code", "error('no such thing')"}});
  check(error_of(raised).value("code", 0) == -32000 &&
            error_of(raised).value("message", "").find("no such thing") != std::string::npos,
        "a Lua error is -32000 with its message", raised);

  const json syntax = client.call("lua.eval", {{"id", id}, {"code", "return +"}});
  check(error_of(syntax).value("code", 0) == -32000, "a syntax error is -32000", syntax);

  const json missing = client.call("lua.eval", {{"id", id}});
  check(error_of(missing).value("code", 0) == -32602 &&
            error_of(missing).value("message", "").find("code") != std::string::npos,
        "a missing parameter is -32602 naming it", missing);

  const json other = client.call("lua.eval", {{"id", 999999}, {"code", "return 1"}});
  check(error_of(other).value("code", 0) == -32001, "a computer not attached to is -32001", other);

  const json unknown = client.call("no.such.method", json::object());
  check(error_of(unknown).value("code", 0) == -32601, "an unknown method is -32601", unknown);

  client.send("{ not json");
  const json parse_error = client.receive();
  check(error_of(parse_error).value("code", 0) == -32700 && parse_error.contains("id") && parse_error["id"].is_null(),
        "an unparseable frame is -32700 with id null", parse_error);

  const json still = client.call("lua.eval", {{"id", id}, {"code", "return 'still here'"}});
  check(still.value("result", json()) == json::array({"still here"}), "the connection stays usable after errors", still);
  client.close();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage = "usage: redrund_ws_client_test REDRUND | --ws HOST:PORT --token TOKEN";
  try {
    if (argc == 2) {
      const std::string token = "beast-test-token";
      redrund::testing::daemon_process daemon(argv[1], {"--token", token});
      run_checks(daemon.ws(), token);
      check(daemon.stop() == 0, "SIGTERM stops the daemon with status 0");
    } else if (argc == 5 && std::string(argv[1]) == "--ws" && std::string(argv[3]) == "--token") {
      run_checks(argv[2], argv[4]);
    } else {
      std::cerr << usage << '\n';
      return 2;
    }
  } catch (const std::exception& e) {
    std::cout << "FAIL " << e.what() << '\n';
    return 1;
  }
  std::cout << (failures == 0 ? "all checks passed\n" : std::to_string(failures) + " check(s) failed\n");
  return failures == 0 ? 0 : 1;
}
