// Decoding JSON into Lua values (the encoder is in lua_json.cpp); rules in proto/lua-values.md.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "proto/lua_json.hpp"
#include "proto/lua_json_internal.hpp"
#include "proto/text_encoding.hpp"

namespace redrund::proto {
namespace {

using nlohmann::json;

// A JSON integer usable as an $id/$ref label.
std::optional<std::int64_t> label_of(const json& j) {
  if (j.is_number_unsigned()) {
    const auto n = j.get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(n);
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  return std::nullopt;
}

bool has_reserved_key(const json& object) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (detail::is_reserved_key(it.key())) return true;
  }
  return false;
}

// Decoding state for one document. Recursion goes one level per table (a $table's pair
// list is walked in a loop), so it is bounded by depth_max whatever the JSON nesting.
class decoder {
 public:
  decoder(value_list& out, const lua_json_limits& limits) : out_(out), limits_(limits) {}

  // Gives every labelled table ({"$id": n, ...}) its arena slot up front, so a $ref may
  // appear before its $id in the text; walked iteratively, as the document may be deep.
  bool collect_ids(const json& document) {
    std::vector<const json*> pending{&document};
    while (!pending.empty()) {
      const json* node = pending.back();
      pending.pop_back();
      if (node->is_object()) {
        const auto id = node->find(detail::id_key);
        if (id != node->end()) {
          const std::optional<std::int64_t> label = label_of(*id);
          if (label && !tables_by_label_.emplace(*label, new_table()).second) {
            return fail("duplicate $id " + std::to_string(*label));
          }
        }
      }
      if (node->is_structured()) {
        for (const json& child : *node) {
          if (child.is_structured()) pending.push_back(&child);
        }
      }
    }
    return true;
  }

  bool decode(const json& j, value& v, std::size_t depth) {
    switch (j.type()) {
      case json::value_t::null: v = value{}; break;
      case json::value_t::boolean: v = value::of_boolean(j.get<bool>()); break;
      case json::value_t::number_integer: v = value::of_number(static_cast<double>(j.get<std::int64_t>())); break;
      case json::value_t::number_unsigned: v = value::of_number(static_cast<double>(j.get<std::uint64_t>())); break;
      case json::value_t::number_float: v = value::of_number(j.get<double>()); break;
      case json::value_t::string: v = value::of_string(j.get_ref<const std::string&>()); break;
      case json::value_t::array:
        if (!decode_sequence(j, v, depth)) return false;
        break;
      case json::value_t::object:
        if (!decode_object(j, v, depth)) return false;
        break;
      case json::value_t::binary:
      case json::value_t::discarded: return fail("not a JSON value");
    }
    return count(v);
  }

  const lua_json_error& error() const { return error_; }

 private:
  bool decode_object(const json& j, value& v, std::size_t depth) {
    if (!has_reserved_key(j)) return decode_members(j, v, depth);
    const auto only = [&](std::string_view key) { return j.size() == 1 && j.contains(key); };
    if (only(detail::number_key)) return decode_special_number(j.front(), v);
    if (only(detail::bytes_key)) return decode_bytes(j.front(), v);
    if (only(detail::ref_key)) return decode_ref(j.front(), v);
    if (only(detail::table_key)) {
      std::uint32_t index = 0;
      if (!open_table(depth, index)) return false;
      v.type = value::kind::table;
      v.table = index;
      return decode_pairs(j.front(), index, depth);
    }
    if (j.size() == 2 && j.contains(detail::id_key) && j.contains(detail::table_key)) {
      return decode_labelled(j, v, depth);
    }
    return fail("unknown form: member names starting with '$' are reserved (write such keys with $table)");
  }

  // {"$id": n, "$table": [...]}: fills the slot collect_ids gave it.
  bool decode_labelled(const json& j, value& v, std::size_t depth) {
    const std::optional<std::int64_t> label = label_of(j.at(detail::id_key));
    if (!label) return fail("$id must be an integer");
    if (depth >= limits_.depth_max) return too_deep();
    v.type = value::kind::table;
    v.table = tables_by_label_.at(*label);
    return decode_pairs(j.at(detail::table_key), v.table, depth);
  }

  bool decode_sequence(const json& j, value& v, std::size_t depth) {
    std::uint32_t index = 0;
    if (!open_table(depth, index)) return false;
    v.type = value::kind::table;
    v.table = index;
    for (std::size_t i = 0; i < j.size(); ++i) {
      value item;
      if (!decode(j[i], item, depth + 1)) return nest("[" + std::to_string(i) + "]");
      if (item.type == value::kind::nil) continue;  // null is a hole
      value key = value::of_number(static_cast<double>(i + 1));
      if (!count(key) || !add_entry(index, std::move(key), std::move(item))) return false;
    }
    return true;
  }

  bool decode_members(const json& j, value& v, std::size_t depth) {
    std::uint32_t index = 0;
    if (!open_table(depth, index)) return false;
    v.type = value::kind::table;
    v.table = index;
    for (auto it = j.begin(); it != j.end(); ++it) {
      value item;
      if (!decode(it.value(), item, depth + 1)) return nest(detail::member_segment(it.key()));
      if (item.type == value::kind::nil) continue;  // t.k = nil: no entry
      value key = value::of_string(it.key());
      if (!count(key) || !add_entry(index, std::move(key), std::move(item))) return false;
    }
    return true;
  }

  bool decode_pairs(const json& pairs, std::uint32_t index, std::size_t depth) {
    const std::string segment = "." + std::string(detail::table_key);
    if (!pairs.is_array()) return fail("$table must be an array of [key, value] pairs");
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const std::string at = segment + "[" + std::to_string(i) + "]";
      const json& pair = pairs[i];
      if (!pair.is_array() || pair.size() != 2) return fail_at(at, "expected a [key, value] pair");
      value key, item;
      if (!decode(pair[0], key, depth + 1)) return nest(at + "[0]");
      if (key.type == value::kind::nil) return fail_at(at + "[0]", "table key is nil");
      if (key.type == value::kind::number && std::isnan(key.number)) return fail_at(at + "[0]", "table key is NaN");
      if (!decode(pair[1], item, depth + 1)) return nest(at + "[1]");
      if (item.type == value::kind::nil) continue;
      if (!add_entry(index, std::move(key), std::move(item))) return false;
    }
    return check_unique_keys(index) || nest(segment);
  }

  // Lua keeps one value per key; a document giving two is ambiguous, so it is refused.
  bool check_unique_keys(std::uint32_t index) {
    std::vector<const value*> keys;
    for (const auto& e : out_.tables[index].entries) keys.push_back(&e.first);
    std::sort(keys.begin(), keys.end(), [](const value* a, const value* b) { return detail::key_less(*a, *b); });
    const auto duplicate = std::adjacent_find(
        keys.begin(), keys.end(), [](const value* a, const value* b) { return detail::key_equal(*a, *b); });
    return duplicate == keys.end() || fail("duplicate table key");
  }

  bool decode_special_number(const json& text, value& v) {
    const std::string* name = text.get_ptr<const std::string*>();
    constexpr double infinity = std::numeric_limits<double>::infinity();
    if (name != nullptr && *name == "nan") v = value::of_number(std::numeric_limits<double>::quiet_NaN());
    else if (name != nullptr && *name == "inf") v = value::of_number(infinity);
    else if (name != nullptr && *name == "-inf") v = value::of_number(-infinity);
    else return fail("$number must be \"nan\", \"inf\" or \"-inf\"");
    return true;
  }

  bool decode_bytes(const json& text, value& v) {
    const std::string* encoded = text.get_ptr<const std::string*>();
    std::optional<std::string> bytes = encoded ? base64_decode(*encoded) : std::nullopt;
    if (!bytes) return fail("$bytes must be a base64 string");
    v = value::of_string(std::move(*bytes));
    return true;
  }

  bool decode_ref(const json& label_json, value& v) {
    const std::optional<std::int64_t> label = label_of(label_json);
    if (!label) return fail("$ref must be an integer");
    const auto found = tables_by_label_.find(*label);
    if (found == tables_by_label_.end()) return fail("$ref " + std::to_string(*label) + " has no $id");
    v.type = value::kind::table;
    v.table = found->second;
    return true;
  }

  std::uint32_t new_table() {
    out_.tables.emplace_back();
    return static_cast<std::uint32_t>(out_.tables.size() - 1);
  }
  bool open_table(std::size_t depth, std::uint32_t& index) {
    if (depth >= limits_.depth_max) return too_deep();
    index = new_table();
    return true;
  }
  bool add_entry(std::uint32_t index, value key, value item) {
    if (!charge(16)) return false;
    // Indexed afresh: decoding the entry may have grown (reallocated) out_.tables.
    out_.tables[index].entries.emplace_back(std::move(key), std::move(item));
    return true;
  }

  // Charges one decoded key or value against the caps, as lua_value.cpp's copier does.
  bool count(const value& v) {
    if (++values_ > limits_.values_max) return fail("more than " + std::to_string(limits_.values_max) + " values");
    switch (v.type) {
      case value::kind::boolean:
      case value::kind::number: return charge(8);
      case value::kind::string: return charge(v.text.size() + 8);
      case value::kind::nil:
      case value::kind::table: return true;
    }
    return true;
  }
  bool charge(std::size_t bytes) {
    bytes_ += bytes;
    return bytes_ <= limits_.bytes_max || fail("more than " + std::to_string(limits_.bytes_max) + " bytes");
  }
  bool too_deep() { return fail("tables nested deeper than " + std::to_string(limits_.depth_max)); }
  bool fail(std::string message) {
    error_.message = std::move(message);
    return false;
  }
  bool fail_at(const std::string& segment, std::string message) {
    error_.path = segment;
    return fail(std::move(message));
  }
  bool nest(const std::string& segment) {
    error_.path = segment + error_.path;
    return false;
  }

  value_list& out_;
  const lua_json_limits& limits_;
  std::map<std::int64_t, std::uint32_t> tables_by_label_;
  std::size_t values_ = 0;
  std::size_t bytes_ = 0;
  lua_json_error error_;
};

}  // namespace

result<value, lua_json_error> decode_value(const json& document, value_list& out, const lua_json_limits& limits) {
  decoder d(out, limits);
  value v;
  if (!d.collect_ids(document) || !d.decode(document, v, 0)) return failure(d.error());
  return v;
}

result<value_list, lua_json_error> decode_values(const json& array, const lua_json_limits& limits) {
  if (!array.is_array()) return failure(lua_json_error{"", "expected an array of values"});
  value_list out;
  decoder d(out, limits);
  if (!d.collect_ids(array)) return failure(d.error());
  out.items.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!d.decode(array[i], out.items.emplace_back(), 0)) {
      lua_json_error error = d.error();
      error.path = "[" + std::to_string(i) + "]" + error.path;
      return failure(std::move(error));
    }
  }
  return out;
}

}  // namespace redrund::proto
