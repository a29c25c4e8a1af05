#include "app/outbound_http_client.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "world/simulation.hpp"

namespace redrund {
namespace {

const char* const user_agent = "redrund/" REDRUND_VERSION " (ComputerCraft emulator)";

// RFC 7230 token characters: what a header name may contain.
bool valid_header_name(const std::string& name) {
  static constexpr std::string_view punctuation = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || punctuation.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool valid_header_value(const std::string& value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

// Headers a computer may send, or the error to raise (CC raises for bad headers too).
std::optional<std::string> check_headers(const http_headers& headers, std::size_t bytes_max) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : headers) {
    if (!valid_header_name(name)) return "Invalid header name '" + name + "'";
    if (!valid_header_value(value)) return "Invalid value for header '" + name + "'";
    bytes += name.size() + value.size();
  }
  if (bytes > bytes_max) return std::string("Headers are too large");
  return std::nullopt;
}

event make_event(const char* name, std::string url) {
  event e{name, {}};
  e.args.items.push_back(value::of_string(std::move(url)));
  return e;
}

void metric(std::ostringstream& out, const char* name, const char* type, const char* help, std::uint64_t value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << value << '\n';
}

// A counter with one sample per direction.
void directed_counter(std::ostringstream& out, const char* name, const char* help, std::uint64_t in, std::uint64_t out_value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
      << name << "{direction=\"in\"} " << in << '\n' << name << "{direction=\"out\"} " << out_value << '\n';
}

}  // namespace

std::unique_ptr<outbound_http_client> outbound_http_client::create(const http_config& config, std::string& error) {
  auto policy = net::host_policy::parse(config.allow, error);
  if (!policy) return nullptr;
  return std::make_unique<outbound_http_client>(config, std::move(*policy));
}

outbound_http_client::outbound_http_client(const http_config& config, net::host_policy policy)
    : limits_(config.limits), client_([&config] {
        net::ws_client_limits client = config.client;
        client.message_bytes_max = config.limits.websocket_message_bytes_max;
        return client;
      }(), std::move(policy), user_agent) {}

void outbound_http_client::set_wake(std::function<void()> wake) { client_.set_notify(std::move(wake)); }

http_outcome outbound_http_client::open_websocket(std::uint32_t computer, std::string_view url, const http_headers& headers) {
  auto parsed = net::parse_url(url, "ws");
  if (!parsed) return http_outcome::refuse("URL malformed");
  if (parsed->scheme == "wss")
    return http_outcome::refuse("Could not create a secure connection (redrund has no TLS: use ws://)");
  if (parsed->scheme != "ws") return http_outcome::refuse("Invalid scheme '" + parsed->scheme + "'");
  if (auto bad = check_headers(headers, limits_.header_bytes_max)) return http_outcome::fail(std::move(*bad));
  std::size_t& open = websockets_of_[computer];
  if (open >= limits_.websockets_per_computer_max) return http_outcome::fail("Too many websockets already open");
  const std::uint64_t id = client_.connect(std::move(*parsed), headers);
  if (id == 0) return http_outcome::fail("Too many websockets already open");
  ++open;
  connections_[id] = connection{computer, std::string(url), websocket_state::connecting};
  return {http_outcome::status::ok, {}, id};
}

http_outcome outbound_http_client::check_url(std::uint32_t computer, std::string_view url) {
  if (url.find("://") == std::string_view::npos) return http_outcome::refuse("Must specify http or https");
  auto parsed = net::parse_url(url, "http");
  if (!parsed) return http_outcome::refuse("URL malformed");
  if (parsed->scheme != "http" && parsed->scheme != "https")
    return http_outcome::refuse("Invalid protocol '" + parsed->scheme + "'");
  std::size_t& running = checks_of_[computer];
  if (running >= limits_.checks_per_computer_max) return http_outcome::fail("Too many ongoing checkUrl calls");
  const std::uint64_t id = client_.check(std::move(*parsed));
  if (id == 0) return http_outcome::fail("Too many ongoing checkUrl calls");
  ++running;
  checks_[id] = pending_check{computer, std::string(url)};
  return {http_outcome::status::ok, {}, id};
}

http_outcome outbound_http_client::send(std::uint32_t computer, std::uint64_t id, std::string_view message, bool binary) {
  if (message.size() > limits_.websocket_message_bytes_max) return http_outcome::fail("Message is too large");
  if (state(computer, id) != websocket_state::open) return http_outcome::fail("attempt to use a closed file");
  switch (client_.send(id, std::string(message), binary)) {
    case net::ws_client::send_status::queued: return {};
    case net::ws_client::send_status::queue_full: return http_outcome::fail("Too many ongoing websocket messages");
    case net::ws_client::send_status::unknown_connection: break;
  }
  return http_outcome::fail("attempt to use a closed file");
}

void outbound_http_client::close(std::uint32_t computer, std::uint64_t id) {
  const auto found = connections_.find(id);
  if (found == connections_.end() || found->second.computer != computer) return;
  client_.close(id);
  forget(found);
}

websocket_state outbound_http_client::state(std::uint32_t computer, std::uint64_t id) const {
  const auto found = connections_.find(id);
  if (found == connections_.end() || found->second.computer != computer) return websocket_state::closed;
  return found->second.state;
}

void outbound_http_client::close_all(std::uint32_t computer) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    const auto current = it++;
    if (current->second.computer != computer) continue;
    client_.close(current->first);
    forget(current);
  }
  // Checks still resolving finish on the network side; their answers are ignored.
  std::erase_if(checks_, [computer](const auto& entry) { return entry.second.computer == computer; });
  checks_of_.erase(computer);
}

void outbound_http_client::forget(std::map<std::uint64_t, connection>::iterator found) {
  if (const auto owner = websockets_of_.find(found->second.computer); owner != websockets_of_.end() && --owner->second == 0)
    websockets_of_.erase(owner);
  connections_.erase(found);
}

std::optional<std::pair<std::uint32_t, event>> outbound_http_client::check_event(net::ws_completion& done) {
  const auto found = checks_.find(done.id);
  if (found == checks_.end()) return std::nullopt;
  const std::uint32_t computer = found->second.computer;
  event e = make_event("http_check", std::move(found->second.url));
  e.args.items.push_back(value::of_boolean(done.ok));
  if (!done.ok) e.args.items.push_back(value::of_string(std::move(done.text)));
  checks_.erase(found);
  if (const auto owner = checks_of_.find(computer); owner != checks_of_.end() && --owner->second == 0)
    checks_of_.erase(owner);
  return std::make_pair(computer, std::move(e));
}

// The events CC queues (Websocket.java's success, failure, close and message events).
std::optional<std::pair<std::uint32_t, event>> outbound_http_client::to_event(net::ws_completion& done) {
  using kind = net::ws_completion::kind;
  if (done.what == kind::checked) return check_event(done);
  const auto found = connections_.find(done.id);
  if (found == connections_.end()) return std::nullopt;  // closed by the computer meanwhile
  connection& c = found->second;
  const std::uint32_t computer = c.computer;
  switch (done.what) {
    case kind::connected: {
      c.state = websocket_state::open;
      event e = make_event("websocket_success", c.url);
      e.args.items.push_back(value::of_number(static_cast<double>(done.id)));  // the handle (http_api.cpp)
      return std::make_pair(computer, std::move(e));
    }
    case kind::message: {
      if (c.state != websocket_state::open) return std::nullopt;
      event e = make_event("websocket_message", c.url);
      e.args.items.push_back(value::of_string(std::move(done.text)));
      e.args.items.push_back(value::of_boolean(done.binary));
      return std::make_pair(computer, std::move(e));
    }
    case kind::failed:
    case kind::closed: {
      const bool failed = done.what == kind::failed;
      event e = make_event(failed ? "websocket_failure" : "websocket_closed", c.url);
      // A close carries its reason and code when the peer gave them, nil otherwise.
      e.args.items.push_back(failed || !done.text.empty() ? value::of_string(std::move(done.text)) : value{});
      if (!failed) e.args.items.push_back(done.close_code >= 0 ? value::of_number(done.close_code) : value{});
      forget(found);
      return std::make_pair(computer, std::move(e));
    }
    case kind::checked: break;
  }
  return std::nullopt;
}

std::size_t outbound_http_client::deliver(simulation& sim) {
  std::size_t queued = 0;
  for (net::ws_completion& done : client_.take()) {
    auto delivery = to_event(done);
    if (!delivery) continue;
    computer* target = sim.find_computer(delivery->first);
    if (target == nullptr) continue;
    if (target->queue_event(std::move(delivery->second))) ++queued;
    else ++events_dropped_;
  }
  return queued;
}

std::string outbound_http_client::metrics_text() const {
  const net::ws_client_stats s = client_.stats();
  std::ostringstream out;
  metric(out, "redrund_http_websockets", "gauge", "Outbound WebSockets open or opening.", s.connections);
  metric(out, "redrund_http_websocket_opened_total", "counter", "Outbound WebSockets that completed the handshake.", s.connected);
  metric(out, "redrund_http_websocket_failed_total", "counter", "Outbound WebSockets that could not be opened.", s.failed);
  metric(out, "redrund_http_websocket_closed_by_peer_total", "counter", "Outbound WebSockets the other side ended.", s.closed_by_peer);
  directed_counter(out, "redrund_http_websocket_messages_total", "WebSocket messages.", s.messages_in, s.messages_out);
  directed_counter(out, "redrund_http_websocket_bytes_total", "WebSocket message bytes.", s.bytes_in, s.bytes_out);
  metric(out, "redrund_http_websocket_messages_dropped_total", "counter",
         "Messages received while the queue to the simulation was full.", s.messages_dropped);
  metric(out, "redrund_http_websocket_messages_too_large_total", "counter",
         "Messages received over the size limit (the connection is closed).", s.messages_too_large);
  metric(out, "redrund_http_denied_total", "counter", "Hosts refused by the http allow rules.", s.denied);
  metric(out, "redrund_http_events_dropped_total", "counter", "http events lost to a full computer event queue.",
         events_dropped_.load());
  return out.str();
}

}  // namespace redrund
