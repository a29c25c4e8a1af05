#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "computer/outbound_http.hpp"
#include "net/ws_client.hpp"

namespace redrund {

class json_checker;

// The computers' `http` API in the daemon: the `http` section of the serve configuration,
// and `redrund run --http-allow`. Off by default; needs the real-time clock (sockets follow
// the wall clock, so a virtual-time run could not repeat).
struct http_config {
  bool enabled = false;
  std::vector<std::string> allow;  // exceptions to the private-address denial (net::host_policy)
  http_limits limits;              // per computer
  net::ws_client_limits client;    // the whole daemon
};

// Reads the `http` section ({"enabled": ..., "allow": [...], limits}), reporting problems
// under "http." paths; the allow entries are checked too.
void read_http_config(json_checker& check, const nlohmann::json& section, http_config& out);

}  // namespace redrund
