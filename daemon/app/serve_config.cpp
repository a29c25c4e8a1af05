#include "app/serve_config.hpp"

#include "app/json_checker.hpp"

namespace redrund {
namespace {

using nlohmann::json;

void read_listen(json_checker& check, const json& v, serve_config& out) {
  if (!check.object(v, "listen", {"tcp", "ws", "http"})) return;
  const auto read = [&](const char* key, std::string& target) {
    if (const json* m = check.member(v, "listen", key)) target = check.string(*m, member_path("listen", key), true).value_or("");
  };
  read("tcp", out.listen.tcp);
  read("ws", out.listen.ws);
  read("http", out.listen.http);
}

void read_tokens(json_checker& check, const json& v, serve_config& out) {
  if (!check.object(v, "tokens", {"client", "admin"})) return;
  if (const json* m = check.member(v, "tokens", "client"))
    out.tokens.client = check.string(*m, "tokens.client", true).value_or("");
  if (const json* m = check.member(v, "tokens", "admin"))
    out.tokens.admin = check.string(*m, "tokens.admin", true).value_or("");
}

void read_net(json_checker& check, const json& v, net::net_limits& out) {
  if (!check.object(v, "net", {"frame_bytes_max", "outbound_messages_max", "outbound_bytes_max", "connections_max",
                                "idle_timeout_seconds", "messages_per_second", "burst_messages"}))
    return;
  const auto whole = [&](const char* key, auto& target, std::uint64_t max) {
    if (const json* m = check.member(v, "net", key))
      if (const auto n = check.whole(*m, member_path("net", key), 1, max)) target = static_cast<std::remove_reference_t<decltype(target)>>(*n);
  };
  whole("frame_bytes_max", out.frame_bytes_max, 64u << 20);
  whole("outbound_messages_max", out.outbound_messages_max, 1u << 20);
  whole("outbound_bytes_max", out.outbound_bytes_max, 1u << 30);
  whole("connections_max", out.connections_max, 1u << 20);
  whole("idle_timeout_seconds", out.idle_timeout_seconds, 86400 * 7);
  if (const json* m = check.member(v, "net", "messages_per_second"))
    out.messages_per_second = check.number(*m, "net.messages_per_second", 0, 1e9).value_or(out.messages_per_second);
  if (const json* m = check.member(v, "net", "burst_messages"))
    out.burst_messages = check.number(*m, "net.burst_messages", 1, 1e9).value_or(out.burst_messages);
}

void read_log(json_checker& check, const json& v, serve_config& out) {
  if (!check.object(v, "log", {"level", "file"})) return;
  if (const json* m = check.member(v, "log", "level")) {
    out.log_level = check.string(*m, "log.level").value_or(out.log_level);
    static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(std::begin(levels), std::end(levels), out.log_level) == std::end(levels))
      check.fail("log.level", "expected trace, debug, info, warn, error, critical or off");
  }
  if (const json* m = check.member(v, "log", "file")) out.log_file = check.string(*m, "log.file", true).value_or("");
}

// The world is a scenario document; its errors are reported under "world.".
void read_world(json_checker& check, const json& v, serve_config& out) {
  const scenario_parse_result parsed = parse_scenario(v.dump());
  for (const std::string& error : parsed.errors) check.fail("world", error);
  if (parsed.value) out.world = *parsed.value;
}

}  // namespace

serve_config_result parse_serve_config(std::string_view json_text) {
  serve_config_result result;
  std::vector<std::string> duplicates;
  json document;
  try {
    document = parse_json_strict(json_text, duplicates);
  } catch (const json::exception& e) {
    result.errors.push_back(std::string("malformed JSON: ") + e.what());
    return result;
  }
  json_checker check;
  for (const std::string& path : duplicates) check.fail(path, "duplicate key");
  serve_config config;
  if (check.object(document, "", {"listen", "tokens", "net", "log", "computers_max", "inbox_messages_max", "save_interval_seconds",
                                    "slice_instructions", "world",
                                    "http"})) {
    if (const json* m = check.member(document, "", "listen")) read_listen(check, *m, config);
    if (const json* m = check.member(document, "", "tokens")) read_tokens(check, *m, config);
    if (const json* m = check.member(document, "", "net")) read_net(check, *m, config.net);
    if (const json* m = check.member(document, "", "log")) read_log(check, *m, config);
    if (const json* m = check.member(document, "", "computers_max"))
      config.computers_max = check.whole(*m, "computers_max", 1, 1'000'000).value_or(config.computers_max);
    if (const json* m = check.member(document, "", "inbox_messages_max"))
      config.inbox_messages_max = check.whole(*m, "inbox_messages_max", 1, 1'000'000).value_or(config.inbox_messages_max);
    if (const json* m = check.member(document, "", "save_interval_seconds"))
      config.save_interval_seconds = check.number(*m, "save_interval_seconds", 1, 86400).value_or(10);
    if (const json* m = check.member(document, "", "slice_instructions"))
      config.slice_instructions =
          check.whole(*m, "slice_instructions", 0, 1'000'000'000).value_or(config.slice_instructions);
    if (const json* m = check.member(document, "", "world")) read_world(check, *m, config);
    if (const json* m = check.member(document, "", "http")) read_http_config(check, *m, config.http);
  }
  result.errors = check.take_errors();
  if (result.errors.empty()) result.value = std::move(config);
  return result;
}

}  // namespace redrund
