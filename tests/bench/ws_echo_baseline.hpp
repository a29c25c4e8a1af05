#pragma once

// A bare Beast WebSocket echo server: no limits, queues, rate limits or callbacks. It is the
// baseline the `lua.eval` round-trip benchmark compares the real server against, so the ratio
// shows what redrund adds on top of Beast itself.

namespace boost::asio {
class io_context;
}

namespace redrund::bench {

// Listens on 127.0.0.1:`port` (0 = any free port; the bound port is written back) and echoes
// every message, text or binary, until the io_context stops. Throws if it cannot bind.
void start_bare_ws_echo(boost::asio::io_context& ioc, unsigned short& port);

}  // namespace redrund::bench
