// Benchmarks of `redrund serve` through its real WebSocket interface (figures go in the README).
// The daemon runs as a child process (tests/integration/daemon_process.hpp) on loopback; the
// clients are Beast WebSocket clients in this process.
//  1. lua.eval round trips per second with 1 and with M concurrent connections (each attached
//     to a computer of its own, sending `return 1` in a closed loop), as a ratio to a bare Beast
//     WebSocket echo server (ws_echo_baseline, in this process on 2 threads like the daemon's
//     network) driven by the same clients with the same request text, in the same run. Beside
//     the wall-time ratio, the ratio of round trips per CPU second of the server (the daemon's
//     process, the echo server's threads), which other load on the machine does not distort;
//  2. N clients, each attached to its own computer with a wireless modem in range and rednet
//     open, subscribed to rednet_message: the wall time from one rednet.broadcast until the
//     last of them has its `event` notification, and the daemon's RSS.
//
// Usage: redrund_bench_serve --redrund PATH [--seconds S] [--connections M] [--clients N] [--smoke]

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "bench/bench_support.hpp"
#include "bench/ws_echo_baseline.hpp"
#include "integration/daemon_process.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using nlohmann::json;
using redrund::bench::clock_type;
using redrund::bench::measured_rate;
using redrund::bench::seconds_since;
using tcp = asio::ip::tcp;
using ws_stream = websocket::stream<beast::tcp_stream>;

constexpr const char* token = "bench-token";

struct options {
  std::string redrund;
  double seconds = 3;
  int connections = 64;
  int clients = 1000;
};

// The daemon's configuration for benchmarks: no rate limit, room for every client, and a world
// of one idle computer far from the clients' (a world needs one).
std::string write_config(const std::filesystem::path& path, int clients) {
  const json config{
      {"tokens", {{"client", token}, {"admin", ""}}},
      {"net", {{"messages_per_second", 0}, {"connections_max", clients + 64}, {"idle_timeout_seconds", 3600}}},
      {"log", {{"level", "info"}, {"file", ""}}},
      {"computers_max", clients + 256},
      {"world", {{"computers", json::array({{{"id", 1}, {"label", "idle"}, {"position", {5000, 64, 5000}}}})}}},
  };
  std::ofstream(path) << config.dump(2);
  return path.string();
}

ws_stream connect(asio::io_context& ioc, const std::string& address) {
  const auto [host, port] = redrund::testing::split_address(address);
  ws_stream ws(ioc);
  tcp::resolver resolver(ioc);
  beast::get_lowest_layer(ws).connect(resolver.resolve(host, port));
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
  ws.handshake(host, "/");
  ws.text(true);
  return ws;
}

std::string request(int id, const std::string& method, const json& params) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump();
}

json read_json(ws_stream& ws) {
  beast::flat_buffer buffer;
  ws.read(buffer);
  return json::parse(beast::buffers_to_string(buffer.data()));
}

// Blocking call: sends, then reads until the reply with that id (notifications are skipped).
json call(ws_stream& ws, int id, const std::string& method, const json& params) {
  ws.write(asio::buffer(request(id, method, params)));
  for (;;) {
    json message = read_json(ws);
    if (message.contains("id") && message["id"] == id) {
      if (message.contains("error")) throw std::runtime_error(method + ": " + message["error"].dump());
      return message["result"];
    }
  }
}

//------------------------------------------------------------------------------------------
// 1. Round trips.

// One connection in a closed loop: write the request, read one message, count it, repeat.
class round_tripper : public std::enable_shared_from_this<round_tripper> {
 public:
  round_tripper(ws_stream ws, std::string text, std::atomic<bool>& stop)
      : ws_(std::move(ws)), text_(std::move(text)), stop_(stop) {}

  void start() { write(); }
  std::uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  std::uint64_t wrong() const { return wrong_.load(std::memory_order_relaxed); }

 private:
  void write() {
    ws_.async_write(asio::buffer(text_), [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->read();
    });
  }
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return;
      // Echoed requests and lua.eval results both carry the request's id; errors do too, so
      // a reply that is not a result (or the echo) is counted apart.
      const std::string_view reply(static_cast<const char*>(self->buffer_.data().data()), self->buffer_.size());
      if (reply.find("\"error\"") != std::string_view::npos) self->wrong_.fetch_add(1, std::memory_order_relaxed);
      else self->completed_.fetch_add(1, std::memory_order_relaxed);
      self->buffer_.consume(self->buffer_.size());
      if (!self->stop_.load(std::memory_order_relaxed)) self->write();
    });
  }

  ws_stream ws_;
  std::string text_;
  std::atomic<bool>& stop_;
  beast::flat_buffer buffer_;
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> wrong_{0};
};

struct rate_result {
  measured_rate rate;  // cpu_seconds: the server's
  std::uint64_t wrong = 0;
};

// CPU time of some threads of this process (the echo server's), in seconds.
double threads_cpu_seconds(std::vector<std::thread>& threads) {
  double total = 0;
  for (std::thread& t : threads) {
    clockid_t clock{};
    timespec used{};
    if (pthread_getcpuclockid(t.native_handle(), &clock) == 0 && clock_gettime(clock, &used) == 0)
      total += static_cast<double>(used.tv_sec) + static_cast<double>(used.tv_nsec) * 1e-9;
  }
  return total;
}

// Connects `count` clients to `address`; `prepare` turns each connection into its request text
// (attaching first where needed). Then runs the closed loops on one client thread, counting
// replies (and the server's CPU time, from `server_cpu_seconds`) over `seconds` after a short
// warm-up.
template <class Prepare, class ServerCpu>
rate_result measure_round_trips(const std::string& address, int count, double seconds, Prepare prepare,
                                ServerCpu server_cpu_seconds) {
  asio::io_context ioc;
  std::atomic<bool> stop{false};
  std::vector<std::shared_ptr<round_tripper>> loops;
  for (int i = 0; i < count; ++i) {
    ws_stream ws = connect(ioc, address);
    std::string text = prepare(ws, i);
    loops.push_back(std::make_shared<round_tripper>(std::move(ws), std::move(text), stop));
  }
  for (const auto& loop : loops) loop->start();
  std::thread runner([&ioc] { ioc.run(); });
  const auto total = [&] {
    std::uint64_t sum = 0;
    for (const auto& loop : loops) sum += loop->completed();
    return sum;
  };
  std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.5, seconds / 4)));
  const std::uint64_t before = total();
  const double cpu_before = server_cpu_seconds();
  const auto start = clock_type::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const std::uint64_t after = total();
  const double elapsed = seconds_since(start);
  const double cpu = server_cpu_seconds() - cpu_before;
  stop = true;
  ioc.stop();
  runner.join();
  rate_result result{measured_rate{static_cast<double>(after - before), elapsed, cpu}, 0};
  for (const auto& loop : loops) result.wrong += loop->wrong();
  return result;
}

void bench_round_trips(const options& o, redrund::testing::daemon_process& daemon) {
  // The baseline: the bare echo server on 2 threads, as many as the daemon's network has.
  asio::io_context echo_ioc;
  unsigned short echo_port = 0;
  redrund::bench::start_bare_ws_echo(echo_ioc, echo_port);
  auto echo_work = asio::make_work_guard(echo_ioc);
  std::vector<std::thread> echo_threads;
  for (int i = 0; i < 2; ++i) echo_threads.emplace_back([&echo_ioc] { echo_ioc.run(); });
  const std::string echo_address = "127.0.0.1:" + std::to_string(echo_port);

  int next_label = 0;
  const auto attach_and_eval = [&](ws_stream& ws, int) {
    const json me = call(ws, 1, "computer.attach",
                         {{"token", token}, {"create", {{"label", "rt" + std::to_string(next_label++)}, {"position", {0, 64, 0}}}}});
    return request(2, "lua.eval", {{"id", me["id"]}, {"code", "return 1"}});
  };
  const std::string echo_text = request(2, "lua.eval", {{"id", 1}, {"code", "return 1"}});
  const auto echo_same_text = [&](ws_stream&, int) { return echo_text; };

  const auto echo_cpu = [&echo_threads] { return threads_cpu_seconds(echo_threads); };
  const auto daemon_cpu = [&daemon] { return daemon.cpu_seconds(); };
  for (const int count : {1, o.connections}) {
    const rate_result echo = measure_round_trips(echo_address, count, o.seconds, echo_same_text, echo_cpu);
    const rate_result served = measure_round_trips(daemon.ws(), count, o.seconds, attach_and_eval, daemon_cpu);
    if (served.wrong > 0) throw std::runtime_error(std::to_string(served.wrong) + " lua.eval calls failed");
    const std::string what = "lua.eval round trips, " + std::to_string(count) + " connection(s)";
    redrund::bench::print_ratio(what.c_str(), served.rate, "bare Beast echo", echo.rate, 0.5);
    std::printf("  server CPU per round trip: redrund %.1f us, echo %.1f us\n",
                served.rate.cpu_seconds * 1e6 / served.rate.operations, echo.rate.cpu_seconds * 1e6 / echo.rate.operations);
  }
  echo_work.reset();
  echo_ioc.stop();
  for (std::thread& t : echo_threads) t.join();
}

//------------------------------------------------------------------------------------------
// 2. One broadcast to N clients.

// Every client holds a socket in this process and one in the daemon (which inherits this limit).
void raise_file_limit(int clients) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(clients) * 2 + 256;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(limit.rlim_max, wanted);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < wanted)
    std::printf("warning: RLIMIT_NOFILE is %llu, %d clients may need %llu\n",
                static_cast<unsigned long long>(limit.rlim_cur), clients, static_cast<unsigned long long>(wanted));
}

// Positions within 20 blocks of the origin: every modem hears every other (range 64).
json position_of(int i) { return json::array({i % 40 - 20, 64 + (i / 40) % 10, (i / 400) % 40 - 20}); }

json create_spec(int i) {
  return {{"position", position_of(i)}, {"modems", json::array({{{"side", "top"}, {"type", "wireless"}}})}};
}

// Sends one request on every connection, then reads every reply (the daemon works on them
// together, so setting up N clients costs far less than N sequential round trips).
std::vector<json> call_all(std::vector<ws_stream>& clients, const std::string& method,
                           const std::function<json(int)>& params_of) {
  for (std::size_t i = 0; i < clients.size(); ++i)
    clients[i].write(asio::buffer(request(1, method, params_of(static_cast<int>(i)))));
  std::vector<json> results;
  for (ws_stream& ws : clients) {
    for (;;) {
      json message = read_json(ws);
      if (!message.contains("id")) continue;
      if (message.contains("error")) throw std::runtime_error(method + ": " + message["error"].dump());
      results.push_back(message["result"]);
      break;
    }
  }
  return results;
}

void bench_broadcast(const options& o, redrund::testing::daemon_process& daemon) {
  asio::io_context ioc;
  const std::size_t rss_before = daemon.rss_bytes();
  const auto setup_start = clock_type::now();
  std::vector<ws_stream> clients;
  clients.reserve(static_cast<std::size_t>(o.clients));
  for (int i = 0; i < o.clients; ++i) clients.push_back(connect(ioc, daemon.ws()));
  const std::vector<json> computers = call_all(clients, "computer.attach", [](int i) {
    return json{{"token", token}, {"create", create_spec(i)}, {"events", {"rednet_message"}}};
  });
  call_all(clients, "rednet.open", [&](int i) { return json{{"id", computers[i]["id"]}, {"side", "top"}}; });
  const double setup_seconds = seconds_since(setup_start);
  const std::size_t rss_ready = daemon.rss_bytes();

  ws_stream sender = connect(ioc, daemon.ws());
  const json me = call(sender, 1, "computer.attach", {{"token", token}, {"create", create_spec(0)}});
  call(sender, 2, "rednet.open", {{"id", me["id"]}, {"side", "top"}});
  const auto start = clock_type::now();
  call(sender, 3, "rednet.broadcast", {{"id", me["id"]}, {"message", "hello, everyone"}});
  const double acknowledged = seconds_since(start);
  // Sequential reads: each blocks until that client's notification is in; the loop ends
  // right after the last one has arrived.
  for (ws_stream& ws : clients) {
    for (;;) {
      json message = read_json(ws);
      if (message.value("method", "") != "event") continue;
      if (message["params"]["args"][1] != "hello, everyone") throw std::runtime_error("wrong message: " + message.dump());
      break;
    }
  }
  const double all_notified = seconds_since(start);
  const std::size_t rss_after = daemon.rss_bytes();
  std::printf("%d clients attached with rednet open in %.2f s; daemon RSS %.1f MiB (%.0f KiB per client over the "
              "empty daemon's %.1f MiB)\n",
              o.clients, setup_seconds, static_cast<double>(rss_ready) / (1 << 20),
              static_cast<double>(rss_ready - rss_before) / 1024 / o.clients, static_cast<double>(rss_before) / (1 << 20));
  std::printf("one rednet.broadcast: acknowledged after %.1f ms, last of %d event notifications after %.1f ms "
              "(%.0f us per receiver); daemon RSS afterwards %.1f MiB\n",
              acknowledged * 1000, o.clients, all_notified * 1000, all_notified * 1e6 / o.clients,
              static_cast<double>(rss_after) / (1 << 20));
  for (ws_stream& ws : clients) {
    error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--smoke") {
      o.seconds = 0.2, o.connections = 4, o.clients = 20;
    } else if (arg == "--redrund" && has_value) {
      o.redrund = argv[++i];
    } else if (arg == "--seconds" && has_value) {
      o.seconds = std::stod(argv[++i]);
    } else if (arg == "--connections" && has_value) {
      o.connections = std::stoi(argv[++i]);
    } else if (arg == "--clients" && has_value) {
      o.clients = std::stoi(argv[++i]);
    } else {
      throw std::invalid_argument("unknown argument " + arg);
    }
  }
  if (o.redrund.empty()) throw std::invalid_argument("--redrund PATH is required");
  if (o.seconds <= 0 || o.connections < 1 || o.clients < 1) throw std::invalid_argument("sizes must be positive");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    raise_file_limit(o.clients + o.connections);
    const std::string config = write_config(
        std::filesystem::temp_directory_path() / ("redrund-bench-" + std::to_string(getpid()) + ".json"),
        o.clients + o.connections);
    redrund::testing::daemon_process daemon(o.redrund, {"--config", config});
    bench_round_trips(o, daemon);
    bench_broadcast(o, daemon);
    const int status = daemon.stop();
    std::filesystem::remove(config);
    if (status != 0) throw std::runtime_error("the daemon exited with status " + std::to_string(status));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redrund_bench_serve: %s\n", e.what());
    return 1;
  }
  return 0;
}
