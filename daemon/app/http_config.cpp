#include "app/http_config.hpp"

#include <nlohmann/json.hpp>

#include "app/json_checker.hpp"

namespace redrund {

void read_http_config(json_checker& check, const nlohmann::json& v, http_config& out) {
  if (!check.object(v, "http", {"enabled", "allow", "websockets_per_computer_max", "websocket_message_bytes_max",
                                "connections_max", "inbound_messages_max", "outbound_messages_max", "timeout_seconds"}))
    return;
  if (const auto* m = check.member(v, "http", "enabled")) {
    if (m->is_boolean()) out.enabled = m->get<bool>();
    else check.fail("http.enabled", "expected true or false");
  }
  if (const auto* m = check.member(v, "http", "allow"); m != nullptr && check.array(*m, "http.allow")) {
    for (std::size_t i = 0; i < m->size(); ++i)
      if (auto entry = check.string((*m)[i], index_path("http.allow", i))) out.allow.push_back(std::move(*entry));
    std::string error;
    if (!net::host_policy::parse(out.allow, error)) check.fail("http.allow", error);
  }
  const auto whole = [&](const char* key, std::size_t& target, std::uint64_t max) {
    if (const auto* m = check.member(v, "http", key))
      if (const auto n = check.whole(*m, member_path("http", key), 1, max)) target = static_cast<std::size_t>(*n);
  };
  whole("websockets_per_computer_max", out.limits.websockets_per_computer_max, 1u << 16);
  whole("websocket_message_bytes_max", out.limits.websocket_message_bytes_max, 64u << 20);
  whole("connections_max", out.client.connections_max, 1u << 20);
  whole("inbound_messages_max", out.client.inbound_messages_max, 1u << 24);
  whole("outbound_messages_max", out.client.outbound_messages_max, 1u << 24);
  if (const auto* m = check.member(v, "http", "timeout_seconds"))
    if (const auto n = check.whole(*m, "http.timeout_seconds", 1, 600)) out.client.timeout_seconds = static_cast<int>(*n);
}

}  // namespace redrund
