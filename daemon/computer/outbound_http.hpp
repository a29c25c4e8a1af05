#pragma once

// What a computer's `http` API reaches: outbound WebSocket connections and URL checks,
// provided by the host (the daemon's network edge). Lua-free. The computer's thin binding
// (api/http_api.cpp) calls it on the simulation thread; what the network answers later comes
// back as events (websocket_success, websocket_failure, websocket_message, websocket_closed,
// http_check) that the host queues into the computer. Without a provider the computer has no
// `http` API at all, as a CC computer whose server disabled it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redrund {

// Limits of the http API. Defaults follow CC: Tweaked's configuration where it has one.
struct http_limits {
  std::size_t websockets_per_computer_max = 4;         // CC's http.max_websockets
  std::size_t checks_per_computer_max = 16;            // URL checks waiting for an answer
  std::size_t websocket_message_bytes_max = 128 * 1024;  // CC's http.websocket_message
  std::size_t header_bytes_max = 8 * 1024;             // all of a connection's extra headers
};

using http_headers = std::vector<std::pair<std::string, std::string>>;

// How a request to the provider ended. `refused` is returned to Lua as `false, message` (CC's
// HTTPRequestException: a malformed URL, a scheme it cannot use); `error` is raised (CC's
// LuaException: too many connections, a message too large).
struct http_outcome {
  enum class status : std::uint8_t { ok, refused, error };
  status result = status::ok;
  std::string message;
  std::uint64_t id = 0;  // the connection (or check) started, when ok

  static http_outcome refuse(std::string m) { return {status::refused, std::move(m), 0}; }
  static http_outcome fail(std::string m) { return {status::error, std::move(m), 0}; }
};

enum class websocket_state : std::uint8_t { connecting, open, closed };

class outbound_http {
 public:
  virtual ~outbound_http() = default;

  // Starts opening a WebSocket for `computer`. When ok, a websocket_success (url, id) or
  // websocket_failure (url, reason) event follows.
  virtual http_outcome open_websocket(std::uint32_t computer, std::string_view url, const http_headers& headers) = 0;
  // Starts checking whether `url` (http or https) may be requested; an http_check event follows.
  virtual http_outcome check_url(std::uint32_t computer, std::string_view url) = 0;
  // Sends on an open connection; ok, or an error to raise.
  virtual http_outcome send(std::uint32_t computer, std::uint64_t connection, std::string_view message, bool binary) = 0;
  // Closes a connection of the computer; no event follows. Unknown connections are ignored.
  virtual void close(std::uint32_t computer, std::uint64_t connection) = 0;
  // `closed` also for connections that are not the computer's.
  virtual websocket_state state(std::uint32_t computer, std::uint64_t connection) const = 0;
  // Closes everything the computer opened (it shut down or rebooted).
  virtual void close_all(std::uint32_t computer) = 0;
  virtual const http_limits& limits() const = 0;
};

}  // namespace redrund
