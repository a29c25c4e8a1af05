#include "proto/lua_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "proto/json_limits.hpp"
#include "proto/lua_json_internal.hpp"
#include "proto/text_encoding.hpp"

namespace redrund::proto {

namespace detail {

namespace {
int kind_rank(value::kind k) {
  switch (k) {
    case value::kind::number: return 0;
    case value::kind::string: return 1;
    case value::kind::boolean: return 2;
    case value::kind::table: return 3;
    case value::kind::nil: return 4;
  }
  return 4;
}
}  // namespace

bool key_less(const value& a, const value& b) {
  if (a.type != b.type) return kind_rank(a.type) < kind_rank(b.type);
  switch (a.type) {
    case value::kind::number: return a.number < b.number;
    case value::kind::string: return a.text < b.text;  // char_traits<char> compares as unsigned
    case value::kind::boolean: return !a.boolean && b.boolean;
    case value::kind::table: return a.table < b.table;
    case value::kind::nil: return false;
  }
  return false;
}

bool key_equal(const value& a, const value& b) { return !key_less(a, b) && !key_less(b, a); }

std::string member_segment(std::string_view key) {
  const bool identifier =
      !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      });
  if (identifier) return "." + std::string(key);
  return "[" + quote_json_string(key) + "]";
}

}  // namespace detail

std::string lua_json_error::describe(const std::string& prefix) const {
  const std::string where = prefix + path;
  return where.empty() ? message : where + ": " + message;
}

namespace {

using nlohmann::json;
using entry = std::pair<value, value>;

// 2^63: integral doubles below it in magnitude convert to int64 exactly.
constexpr double int64_bound = 9223372036854775808.0;

json encode_number(double n) {
  if (std::isnan(n)) return json{{detail::number_key, "nan"}};
  if (std::isinf(n)) return json{{detail::number_key, n > 0 ? "inf" : "-inf"}};
  // -0.0 stays a float ("-0.0") so its sign survives the trip.
  const bool integral = n == std::trunc(n) && !(n == 0 && std::signbit(n));
  if (integral && n >= -int64_bound && n < int64_bound) return static_cast<std::int64_t>(n);
  return n;  // nlohmann writes the shortest text that reads back as exactly n
}

// Entries Lua could hold: a nil key or value, or a NaN key, cannot exist in a Lua table,
// so such arena entries are not written (as lua_value.cpp drops them when copying).
bool is_live(const entry& e) {
  if (e.first.type == value::kind::nil || e.second.type == value::kind::nil) return false;
  return !(e.first.type == value::kind::number && std::isnan(e.first.number));
}

enum class table_shape { empty, sequence, object, pairs };

// Classifies sorted live entries into the plainest JSON form that keeps them exactly.
table_shape shape_of(const std::vector<const entry*>& entries) {
  if (entries.empty()) return table_shape::empty;
  bool sequence = true;
  bool object = true;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const value& key = entries[i]->first;
    sequence = sequence && key.type == value::kind::number && key.number == static_cast<double>(i + 1);
    object = object && key.type == value::kind::string && !detail::is_reserved_key(key.text) &&
             is_valid_utf8(key.text) && (i == 0 || entries[i - 1]->first.text != key.text);
  }
  if (sequence) return table_shape::sequence;
  return object ? table_shape::object : table_shape::pairs;
}

// Encoding state for one document. Tables referenced more than once get an $id at their
// first appearance (in output order) and are $ref'd afterwards; everything else is inline.
class encoder {
 public:
  encoder(const value_list& list, const lua_json_limits& limits)
      : list_(list), limits_(limits), references_(list.tables.size(), 0), ids_(list.tables.size(), 0) {}

  // Counts the references to each table reachable from `root`, iteratively: arena chains
  // can be longer than the stack is deep.
  bool count_references(const value& root) {
    std::vector<std::uint32_t> pending;
    if (!note_reference(root, pending)) return false;
    while (!pending.empty()) {
      const std::uint32_t index = pending.back();
      pending.pop_back();
      for (const entry& e : list_.tables[index].entries) {
        if (is_live(e) && (!note_reference(e.first, pending) || !note_reference(e.second, pending))) return false;
      }
    }
    return true;
  }

  bool encode(const value& v, json& out, std::size_t depth) {
    if (++values_ > limits_.values_max) return fail("more than " + std::to_string(limits_.values_max) + " values");
    switch (v.type) {
      case value::kind::nil: out = nullptr; return true;
      case value::kind::boolean: out = v.boolean; return charge(8);
      case value::kind::number: out = encode_number(v.number); return charge(8);
      case value::kind::string:
        if (is_valid_utf8(v.text)) out = v.text;
        else out = json{{detail::bytes_key, base64_encode(v.text)}};
        return charge(v.text.size() + 8);
      case value::kind::table: return encode_table(v.table, out, depth);
    }
    return fail("unknown value kind");
  }

  const lua_json_error& error() const { return error_; }

 private:
  bool note_reference(const value& v, std::vector<std::uint32_t>& pending) {
    if (v.type != value::kind::table) return true;
    if (v.table >= list_.tables.size()) return fail("table index " + std::to_string(v.table) + " out of range");
    if (references_[v.table]++ == 0) pending.push_back(v.table);
    return true;
  }

  bool encode_table(std::uint32_t index, json& out, std::size_t depth) {
    if (ids_[index] != 0) {
      out = json{{detail::ref_key, ids_[index]}};
      return true;
    }
    if (depth >= limits_.depth_max) return fail("tables nested deeper than " + std::to_string(limits_.depth_max));
    std::vector<const entry*> entries;
    for (const entry& e : list_.tables[index].entries) {
      if (is_live(e)) entries.push_back(&e);
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const entry* a, const entry* b) { return detail::key_less(a->first, b->first); });
    if (!charge(16 * entries.size())) return false;
    if (references_[index] > 1) {
      ids_[index] = next_id_++;  // before the contents, which may refer back to it
      out = json{{detail::id_key, ids_[index]}};
      return encode_pairs(entries, out[detail::table_key], depth, "." + std::string(detail::table_key));
    }
    switch (shape_of(entries)) {
      case table_shape::empty: out = json::object(); return true;
      case table_shape::sequence: return encode_sequence(entries, out, depth);
      case table_shape::object: return encode_object(entries, out, depth);
      case table_shape::pairs: break;
    }
    out = json::object();
    return encode_pairs(entries, out[detail::table_key], depth, "." + std::string(detail::table_key));
  }

  bool encode_sequence(const std::vector<const entry*>& entries, json& out, std::size_t depth) {
    out = json::array();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!encode(entries[i]->second, out.emplace_back(), depth + 1)) return nest("[" + std::to_string(i) + "]");
    }
    return true;
  }

  bool encode_object(const std::vector<const entry*>& entries, json& out, std::size_t depth) {
    out = json::object();
    for (const entry* e : entries) {
      json key;  // encoded only to count it against the caps, as keys in other forms are
      if (!encode(e->first, key, depth + 1) ||
          !encode(e->second, out[e->first.text], depth + 1)) {
        return nest(detail::member_segment(e->first.text));
      }
    }
    return true;
  }

  bool encode_pairs(const std::vector<const entry*>& entries, json& out, std::size_t depth,
                    const std::string& segment) {
    out = json::array();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      json& pair = out.emplace_back(json::array({nullptr, nullptr}));
      for (std::size_t side = 0; side < 2; ++side) {
        const value& v = side == 0 ? entries[i]->first : entries[i]->second;
        if (!encode(v, pair[side], depth + 1)) {
          return nest(segment + "[" + std::to_string(i) + "][" + std::to_string(side) + "]");
        }
      }
    }
    return true;
  }

  bool charge(std::size_t bytes) {
    bytes_ += bytes;
    return bytes_ <= limits_.bytes_max || fail("more than " + std::to_string(limits_.bytes_max) + " bytes");
  }
  bool fail(std::string message) {
    error_.message = std::move(message);
    return false;
  }
  // Prefixes the failing child's path with its place in this table, on the way out.
  bool nest(const std::string& segment) {
    error_.path = segment + error_.path;
    return false;
  }

  const value_list& list_;
  const lua_json_limits& limits_;
  std::vector<std::uint32_t> references_;  // per arena table
  std::vector<std::uint32_t> ids_;         // per arena table; 0 until written with an $id
  std::uint32_t next_id_ = 1;
  std::size_t values_ = 0;
  std::size_t bytes_ = 0;
  lua_json_error error_;
};

}  // namespace

result<json, lua_json_error> encode_value(const value_list& list, const value& v, const lua_json_limits& limits) {
  encoder e(list, limits);
  json out;
  if (!e.count_references(v) || !e.encode(v, out, 0)) return failure(e.error());
  return out;
}

result<json, lua_json_error> encode_values(const value_list& list, const lua_json_limits& limits) {
  encoder e(list, limits);
  for (const value& item : list.items) {
    if (!e.count_references(item)) return failure(e.error());
  }
  json out = json::array();
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    if (!e.encode(list.items[i], out.emplace_back(), 0)) {
      lua_json_error error = e.error();
      error.path = "[" + std::to_string(i) + "]" + error.path;
      return failure(std::move(error));
    }
  }
  return out;
}

}  // namespace redrund::proto
