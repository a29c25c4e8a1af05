#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proto/result.hpp"

namespace redrund::proto {

// Caps on one incoming JSON text (a WebSocket message or a TCP line). The defaults are the
// protocol's documented limits (proto/README.md); config may lower or raise them.
struct json_limits {
  std::size_t frame_bytes_max = 1024 * 1024;  // 1 MiB: far above any request a client needs
  std::size_t depth_max = 64;                 // arrays and objects nested in each other
};

struct json_parse_error {
  enum class kind : std::uint8_t { syntax, too_large, too_deep };

  kind type = kind::syntax;
  std::string message;      // without nlohmann's "[json.exception...]" prefix
  std::size_t offset_bytes = 0;  // where in the text the problem was found (0-based)
};

// Parses one JSON text under `limits`. Over-long texts are refused without being read and
// over-deep ones before any of the document is built, so neither memory nor stack grows with
// hostile input. Duplicate object keys are accepted, the last one winning (RFC 8259 allows
// it). Never throws.
result<nlohmann::json, json_parse_error> parse_json_frame(std::string_view text,
                                                          const json_limits& limits = {});

// The 0-based offset of the first '[' or '{' that nests deeper than `depth_max`, ignoring
// brackets inside strings; std::string_view::npos when there is none. Meaningful for any
// byte sequence: for malformed text it may flag a depth the parser would reject anyway.
std::size_t find_excess_depth(std::string_view text, std::size_t depth_max);

// The one way JSON leaves the daemon (messages, notifications, world.json): compact (or
// indented by `indent` spaces), with any invalid UTF-8 replaced by U+FFFD rather than thrown
// about. Text from Lua (event names, errors, labels, task names) may hold any bytes; Lua
// values use the lossless $bytes form instead.
std::string dump_json(const nlohmann::json& document, int indent = -1);

// `text` as a JSON string literal, for naming keys in messages.
std::string quote_json_string(std::string_view text);

}  // namespace redrund::proto
