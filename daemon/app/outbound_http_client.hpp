#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/http_config.hpp"
#include "computer/outbound_http.hpp"
#include "computer/value.hpp"
#include "net/ws_client.hpp"

namespace redrund {

class simulation;

// Provides outbound_http to the computers on top of net::ws_client. Sim thread, except
// metrics_text and the wake callback. Remembers which computer owns each connection and
// check, so what the network reports becomes events in the right computer (deliver), and a
// computer that stops loses its connections (close_all).
class outbound_http_client final : public outbound_http {
 public:
  // Nothing, with `error` set, when the allow list has a bad entry.
  static std::unique_ptr<outbound_http_client> create(const http_config& config, std::string& error);
  outbound_http_client(const http_config& config, net::host_policy policy);

  // Called on the network thread whenever something is ready for deliver().
  void set_wake(std::function<void()> wake);
  // Queues what the network did as events in the computers concerned. Returns how many.
  std::size_t deliver(simulation& sim);
  // Prometheus text (redrund_http_*), from any thread.
  std::string metrics_text() const;

  http_outcome open_websocket(std::uint32_t computer, std::string_view url, const http_headers& headers) override;
  http_outcome check_url(std::uint32_t computer, std::string_view url) override;
  http_outcome send(std::uint32_t computer, std::uint64_t connection, std::string_view message, bool binary) override;
  void close(std::uint32_t computer, std::uint64_t connection) override;
  websocket_state state(std::uint32_t computer, std::uint64_t connection) const override;
  void close_all(std::uint32_t computer) override;
  const http_limits& limits() const override { return limits_; }

 private:
  struct connection {
    std::uint32_t computer = 0;
    std::string url;  // as the program wrote it: events carry it back
    websocket_state state = websocket_state::connecting;
  };
  struct pending_check {
    std::uint32_t computer = 0;
    std::string url;
  };

  // The event a completion becomes, or nothing when it is about a forgotten connection.
  std::optional<std::pair<std::uint32_t, event>> to_event(net::ws_completion& done);
  std::optional<std::pair<std::uint32_t, event>> check_event(net::ws_completion& done);
  void forget(std::map<std::uint64_t, connection>::iterator found);

  http_limits limits_;
  net::ws_client client_;
  std::map<std::uint64_t, connection> connections_;
  std::map<std::uint64_t, pending_check> checks_;
  std::map<std::uint32_t, std::size_t> websockets_of_;  // open or opening, per computer
  std::map<std::uint32_t, std::size_t> checks_of_;
  std::atomic<std::uint64_t> events_dropped_{0};  // a computer's event queue was full
};

}  // namespace redrund
