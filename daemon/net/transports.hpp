#pragma once

// Entry points of the three session kinds, called by the listeners with a freshly accepted
// socket (already bound to a strand of its own). No Beast types here: Beast stays inside
// ws_connection.cpp and http_session.cpp, the two translation units that pay its compile cost.

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "net/shared_state.hpp"

namespace redrund::net {

// "ADDR:PORT" of the peer, or "unknown".
std::string describe_remote(const boost::asio::ip::tcp::socket& socket);

// Newline-delimited text; over connections_max the client gets one JSON-RPC error line.
void start_tcp_connection(boost::asio::ip::tcp::socket socket, std::shared_ptr<shared_state> state);

// WebSocket text frames; over connections_max the handshake completes and a close frame follows.
void start_ws_connection(boost::asio::ip::tcp::socket socket, std::shared_ptr<shared_state> state);

// GET /healthz and /metrics; everything else is 404.
void start_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<shared_state> state);

}  // namespace redrund::net
