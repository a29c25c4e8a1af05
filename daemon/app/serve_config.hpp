#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/http_config.hpp"
#include "app/scenario.hpp"
#include "net/server.hpp"
#include "service/rpc_service.hpp"

namespace redrund {

// `redrund serve` configuration (config/redrund.json is the embedded default; docs in README).
struct serve_config {
  net::listen_config listen;
  access_tokens tokens;
  net::net_limits net;
  std::string log_level = "info";
  std::string log_file;             // empty: console only
  std::size_t computers_max = 10000;
  std::size_t inbox_messages_max = 4096;  // client messages waiting for the simulation thread
  double save_interval_seconds = 10;
  // Preemption of every served computer (computer_limits::slice_instructions): a run that
  // does not yield is paused after this many VM instructions so the others (and their
  // clients) keep going. 0 turns it off.
  std::uint64_t slice_instructions = 1'000'000;
  scenario world;                   // the world created on first start (scenario format)
  http_config http;                 // the computers' http API (off unless enabled)
};

struct serve_config_result {
  std::optional<serve_config> value;
  std::vector<std::string> errors;  // "json.path: problem"
};

serve_config_result parse_serve_config(std::string_view json_text);
// The default configuration compiled into the binary (config/redrund.json).
std::string_view default_serve_config_text();

}  // namespace redrund
