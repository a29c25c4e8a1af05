#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "computer/value.hpp"
#include "proto/jsonrpc.hpp"
#include "proto/lua_json.hpp"

namespace redrund::proto {

// Typed reads of a request's named params (an object; absent params read as {}). The first
// problem is kept as a -32602 error naming the field ("params.position: expected 3
// numbers") and later reads return std::nullopt, so a handler reads everything, then checks
// once:
//
//   params_reader p(req.params);
//   const auto code = p.require_string("code");
//   const auto ticks = p.optional_int("ticks", 1, 72'000).value_or(1);
//   p.reject_unknown({"code", "ticks"});
//   if (!p.ok()) return p.error();
//
// The optional_* reads return std::nullopt for an absent (or null) field without failing.
// An object inside the params is read by a reader of its own, whose `path` names it
// (params_reader create(raw, p.path_of("create")) names "params.create.position").
class params_reader {
 public:
  explicit params_reader(const nlohmann::json& params, std::string path = "params");

  bool ok() const { return !error_.has_value(); }
  const rpc_error& error() const;

  std::optional<std::string> require_string(std::string_view field) { return read_string(field, true); }
  std::optional<std::string> optional_string(std::string_view field) { return read_string(field, false); }
  std::optional<bool> require_bool(std::string_view field) { return read_bool(field, true); }
  std::optional<bool> optional_bool(std::string_view field) { return read_bool(field, false); }
  // An integral number (1 and 1.0 alike) in [min, max].
  std::optional<std::int64_t> require_int(std::string_view field, std::int64_t min, std::int64_t max) {
    return read_int(field, min, max, true);
  }
  std::optional<std::int64_t> optional_int(std::string_view field, std::int64_t min, std::int64_t max) {
    return read_int(field, min, max, false);
  }
  // A finite number in [min, max].
  std::optional<double> require_number(std::string_view field, double min, double max) {
    return read_number(field, min, max, true);
  }
  std::optional<double> optional_number(std::string_view field, double min, double max) {
    return read_number(field, min, max, false);
  }
  // [x, y, z]: an array of exactly 3 finite numbers (a position or a direction).
  std::optional<std::array<double, 3>> require_vec3(std::string_view field) { return read_vec3(field, true); }
  std::optional<std::array<double, 3>> optional_vec3(std::string_view field) { return read_vec3(field, false); }
  // An array of Lua values as proto/lua-values.md encodes them (event arguments, messages).
  std::optional<value_list> require_values(std::string_view field, const lua_json_limits& limits = {}) {
    return read_values(field, limits, true);
  }
  std::optional<value_list> optional_values(std::string_view field, const lua_json_limits& limits = {}) {
    return read_values(field, limits, false);
  }
  // The raw member, for shapes the reads above do not cover; nullptr when absent or null.
  const nlohmann::json* require(std::string_view field) { return find(field, true); }
  const nlohmann::json* optional(std::string_view field) { return find(field, false); }

  // Fails on members outside `known`, so a misspelt optional field is not silently ignored.
  void reject_unknown(std::initializer_list<std::string_view> known);

  // Records a problem found by the handler itself, with the same "params.field: " form.
  void fail(std::string_view field, std::string_view problem);
  // Keeps a problem already described (a nested reader's), unless one is already kept.
  void fail(const rpc_error& error);

  // How messages name the field: "params.position", "params.create.modems".
  std::string path_of(std::string_view field) const;

 private:
  const nlohmann::json* find(std::string_view field, bool required);
  std::optional<std::string> read_string(std::string_view field, bool required);
  std::optional<bool> read_bool(std::string_view field, bool required);
  std::optional<std::int64_t> read_int(std::string_view field, std::int64_t min, std::int64_t max, bool required);
  std::optional<double> read_number(std::string_view field, double min, double max, bool required);
  std::optional<std::array<double, 3>> read_vec3(std::string_view field, bool required);
  std::optional<value_list> read_values(std::string_view field, const lua_json_limits& limits, bool required);

  const nlohmann::json* params_ = nullptr;  // an object; nullptr reads as {}
  std::string path_;                        // "params", or the nested object's path
  std::optional<rpc_error> error_;
};

}  // namespace redrund::proto
