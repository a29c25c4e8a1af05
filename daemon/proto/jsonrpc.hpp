#pragma once

// JSON-RPC 2.0 framing for `redrund serve` (proto/README.md): one frame is one WebSocket text
// message or one TCP line, holding a request, a notification or a batch of them.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/error_codes.hpp"  // enum class error_code, generated from proto/errors.schema.json
#include "proto/json_limits.hpp"

namespace redrund::proto {

// The protocol's identity, for the server to announce; bumped on incompatible changes.
inline constexpr std::string_view protocol_name = "redrund";
inline constexpr int protocol_version = 1;

struct rpc_error {
  error_code code = error_code::internal_error;
  std::string message;
  nlohmann::json data;  // left out of the response when null

  // -32602 naming the field: invalid_params("params.position", "expected 3 numbers").
  static rpc_error invalid_params(std::string_view path, std::string_view problem);
  static rpc_error method_not_found(std::string_view method);
};

struct request {
  std::string method;
  nlohmann::json params;             // an object or an array; null when absent
  std::optional<nlohmann::json> id;  // a string, number or null; absent for a notification

  bool is_notification() const { return !id.has_value(); }
};

struct rpc_limits {
  json_limits json;
  std::size_t batch_max = 64;  // requests per batch frame: bounds the work one frame can queue
};

// One frame, decoded: the valid calls in frame order, and the error responses already due
// (for entries that are not valid requests, or one for the whole frame when it is not JSON,
// too large, or not a request or a non-empty batch). Responses within a batch may be sent
// in any order (JSON-RPC 2.0 §6), so the two lists need not be interleaved.
struct incoming_frame {
  bool is_batch = false;
  std::vector<request> requests;
  std::vector<nlohmann::json> responses;
};

incoming_frame decode_frame(std::string_view text, const rpc_limits& limits = {});

// Validates one request object; on failure, the error response to send (its id is the
// request's when that id is well-formed, else null, as JSON-RPC 2.0 §5 says).
std::optional<request> decode_request(const nlohmann::json& message, nlohmann::json& error_response);

nlohmann::json make_result(const nlohmann::json& id, nlohmann::json result);
nlohmann::json make_error(const nlohmann::json& id, const rpc_error& error);
// A server-to-client notification (events, output), which has no id and gets no reply.
nlohmann::json make_notification(std::string_view method, nlohmann::json params);

// The text answering one frame: the single response, or for a batch the array of them; ""
// when there is nothing to send (every entry was a notification).
std::string encode_reply(bool is_batch, std::vector<nlohmann::json> responses);

}  // namespace redrund::proto
