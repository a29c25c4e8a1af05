#include "proto/jsonrpc.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/assert.hpp"

namespace redrund::proto {
namespace {

using nlohmann::json;

bool is_valid_id(const json& id) { return id.is_string() || id.is_number() || id.is_null(); }

rpc_error invalid_request(std::string problem) {
  return rpc_error{error_code::invalid_request, "invalid request: " + std::move(problem), nullptr};
}

// The members JSON-RPC 2.0 §4 defines for a request; anything else is likely a typo
// ("param", "methods") that would otherwise be silently ignored.
constexpr std::array<std::string_view, 4> request_members{"jsonrpc", "method", "params", "id"};

// Why `message` is not a valid request, or std::nullopt when it is one.
std::optional<std::string> request_problem(const json& message) {
  for (auto it = message.begin(); it != message.end(); ++it) {
    if (std::find(request_members.begin(), request_members.end(), it.key()) == request_members.end()) {
      return "unknown member " + quote_json_string(it.key());
    }
  }
  const auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0") return "jsonrpc must be \"2.0\"";
  const auto method = message.find("method");
  if (method == message.end() || !method->is_string()) return "method must be a string";
  const auto params = message.find("params");
  if (params != message.end() && !params->is_structured()) return "params must be an object or an array";
  const auto id = message.find("id");
  if (id != message.end() && !is_valid_id(*id)) return "id must be a string, a number or null";
  return std::nullopt;
}

incoming_frame frame_error(rpc_error error) {
  incoming_frame frame;
  frame.responses.push_back(make_error(nullptr, error));
  return frame;
}

rpc_error parse_failure(const json_parse_error& error) {
  const error_code code = error.type == json_parse_error::kind::syntax ? error_code::parse_error : error_code::too_large;
  const std::string prefix = code == error_code::parse_error ? "parse error: " : "message too large: ";
  return rpc_error{code, prefix + error.message, json{{"offset", error.offset_bytes}}};
}

}  // namespace

rpc_error rpc_error::invalid_params(std::string_view path, std::string_view problem) {
  return rpc_error{error_code::invalid_params, std::string(path) + ": " + std::string(problem), nullptr};
}

rpc_error rpc_error::method_not_found(std::string_view method) {
  return rpc_error{error_code::method_not_found, "method not found: " + std::string(method), nullptr};
}

std::optional<request> decode_request(const json& message, json& error_response) {
  if (!message.is_object()) {
    error_response = make_error(nullptr, invalid_request("expected an object"));
    return std::nullopt;
  }
  if (const std::optional<std::string> problem = request_problem(message)) {
    const auto id = message.find("id");
    const json reply_id = id != message.end() && is_valid_id(*id) ? *id : json(nullptr);
    error_response = make_error(reply_id, invalid_request(*problem));
    return std::nullopt;
  }
  request r;
  r.method = message.at("method").get<std::string>();
  if (const auto params = message.find("params"); params != message.end()) r.params = *params;
  if (const auto id = message.find("id"); id != message.end()) r.id = *id;
  return r;
}

incoming_frame decode_frame(std::string_view text, const rpc_limits& limits) {
  result<json, json_parse_error> parsed = parse_json_frame(text, limits.json);
  if (!parsed) return frame_error(parse_failure(parsed.error()));
  const json& document = *parsed;
  incoming_frame frame;
  const auto take = [&frame](const json& message) {
    json error_response;
    if (std::optional<request> r = decode_request(message, error_response)) frame.requests.push_back(std::move(*r));
    else frame.responses.push_back(std::move(error_response));
  };
  if (!document.is_array()) {
    take(document);
    return frame;
  }
  if (document.empty()) return frame_error(invalid_request("empty batch"));
  if (document.size() > limits.batch_max) {
    return frame_error(rpc_error{error_code::too_large,
                                 "batch of " + std::to_string(document.size()) + " requests exceeds the limit of " +
                                     std::to_string(limits.batch_max),
                                 nullptr});
  }
  frame.is_batch = true;
  for (const json& message : document) take(message);
  return frame;
}

json make_result(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, const rpc_error& error) {
  json body{{"code", static_cast<int>(error.code)}, {"message", error.message}};
  if (!error.data.is_null()) body["data"] = error.data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(body)}};
}

json make_notification(std::string_view method, json params) {
  json message{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

std::string encode_reply(bool is_batch, std::vector<json> responses) {
  if (responses.empty()) return {};
  if (!is_batch) {
    REDRUND_ASSERT(responses.size() == 1);  // a single request gets a single response
    return dump_json(responses.front());
  }
  return dump_json(json(std::move(responses)));
}

}  // namespace redrund::proto
