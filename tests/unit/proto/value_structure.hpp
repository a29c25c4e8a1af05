#pragma once

// Test helpers for Lua values in value_lists: building them, and comparing two of them by
// structure (not by arena index), with sharing respected: a table shared or cyclic on one
// side must be shared or cyclic in the same places on the other.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "computer/value.hpp"

namespace redrund::test {

inline value num(double n) { return value::of_number(n); }
inline value str(std::string s) { return value::of_string(std::move(s)); }
inline value boolean(bool b) { return value::of_boolean(b); }

struct value_builder {
  value_list list;

  value table() {
    list.tables.emplace_back();
    value v;
    v.type = value::kind::table;
    v.table = static_cast<std::uint32_t>(list.tables.size() - 1);
    return v;
  }
  void set(const value& t, value key, value item) {
    list.tables.at(t.table).entries.emplace_back(std::move(key), std::move(item));
  }
  // A table holding `items` at 1..n.
  value sequence(const std::vector<value>& items) {
    const value t = table();
    for (std::size_t i = 0; i < items.size(); ++i) set(t, num(static_cast<double>(i + 1)), items[i]);
    return t;
  }
};

// Compares two values (and what they reach) in two arenas. `why` says where they differ.
class structure_matcher {
 public:
  structure_matcher(const value_list& a, const value_list& b) : a_(a), b_(b) {}

  bool equal(const value& x, const value& y, const std::string& path = "$") {
    if (x.type != y.type) return differ(path, "kinds differ");
    switch (x.type) {
      case value::kind::nil: return true;
      case value::kind::boolean: return x.boolean == y.boolean || differ(path, "booleans differ");
      case value::kind::number: return same_number(x.number, y.number) || differ(path, "numbers differ");
      case value::kind::string: return x.text == y.text || differ(path, "strings differ");
      case value::kind::table: return tables_equal(x.table, y.table, path);
    }
    return false;
  }

  const std::string& why() const { return why_; }

 private:
  static bool same_number(double x, double y) {
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y && std::signbit(x) == std::signbit(y);
  }

  // Keys in a fixed order that does not depend on arena indices, except between table keys.
  static bool key_before(const value& x, const value& y) {
    if (x.type != y.type) return x.type < y.type;
    if (x.type == value::kind::number) return x.number < y.number;
    if (x.type == value::kind::string) return x.text < y.text;
    if (x.type == value::kind::boolean) return x.boolean < y.boolean;
    return false;
  }

  static std::vector<const std::pair<value, value>*> sorted_entries(const value_table& t) {
    std::vector<const std::pair<value, value>*> entries;
    for (const auto& e : t.entries) entries.push_back(&e);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto* p, const auto* q) { return key_before(p->first, q->first); });
    return entries;
  }

  bool tables_equal(std::uint32_t x, std::uint32_t y, const std::string& path) {
    const auto ax = a_to_b_.find(x);
    const auto by = b_to_a_.find(y);
    if (ax != a_to_b_.end() || by != b_to_a_.end()) {
      // Seen before: must be the same pairing (sharing and cycles line up).
      return (ax != a_to_b_.end() && ax->second == y && by != b_to_a_.end() && by->second == x) ||
             differ(path, "sharing differs");
    }
    a_to_b_.emplace(x, y);
    b_to_a_.emplace(y, x);
    const auto ex = sorted_entries(a_.tables.at(x));
    const auto ey = sorted_entries(b_.tables.at(y));
    if (ex.size() != ey.size()) return differ(path, "entry counts differ");
    for (std::size_t i = 0; i < ex.size(); ++i) {
      const std::string at = path + "{" + std::to_string(i) + "}";
      if (!equal(ex[i]->first, ey[i]->first, at + ".key") || !equal(ex[i]->second, ey[i]->second, at)) return false;
    }
    return true;
  }

  bool differ(const std::string& path, const std::string& what) {
    why_ = path + ": " + what;
    return false;
  }

  const value_list& a_;
  const value_list& b_;
  std::map<std::uint32_t, std::uint32_t> a_to_b_;
  std::map<std::uint32_t, std::uint32_t> b_to_a_;
  std::string why_;
};

}  // namespace redrund::test
