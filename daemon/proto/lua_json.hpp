#pragma once

// Lua values <-> JSON, lossless both ways; the rules are in proto/lua-values.md. Lua-free:
// works on the value/value_list copies that computer/ makes of Lua values.

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "computer/value.hpp"
#include "proto/result.hpp"

namespace redrund::proto {

// Caps on one encoded or decoded document. Bytes are counted as computer/lua_value.cpp
// counts them when copying out of Lua (8 per boolean or number, length + 8 per string, 16
// per table entry), so a value one side accepts the other does too; the defaults match its
// value_limits.
struct lua_json_limits {
  std::size_t depth_max = 256;          // tables nested in tables
  std::size_t values_max = 1u << 20;    // keys and values, tables included
  std::size_t bytes_max = 16u << 20;
};

struct lua_json_error {
  std::string path;     // where, relative to the value: "", "[2]", ".pos", "[2].$table[0][1]"
  std::string message;  // what: "unknown $ref 3"

  // "path: message", or the message alone at the root; `prefix` names the value itself
  // (e.g. "params.args").
  std::string describe(const std::string& prefix = {}) const;
};

// One value of `list` as JSON. Table ids ($id/$ref) are numbered within this call.
result<nlohmann::json, lua_json_error> encode_value(const value_list& list, const value& v,
                                                    const lua_json_limits& limits = {});

// All of list.items as a JSON array; tables shared between items are written once, so the
// ids span the whole array.
result<nlohmann::json, lua_json_error> encode_values(const value_list& list, const lua_json_limits& limits = {});

// Decodes one value, adding the tables it builds to out.tables. A top-level null is nil.
result<value, lua_json_error> decode_value(const nlohmann::json& document, value_list& out,
                                           const lua_json_limits& limits = {});

// Decodes a JSON array into list.items (null items are nil; $id/$ref span the array).
result<value_list, lua_json_error> decode_values(const nlohmann::json& array, const lua_json_limits& limits = {});

}  // namespace redrund::proto
