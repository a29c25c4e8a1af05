#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace redrund {

// A Lua value copied out of one computer, to be pushed into another (or later into the
// same one). Lua-free. Tables live in the owning value_list's table arena and refer to each
// other by index, so cycles and shared sub-tables keep their shape within one value, as CC's
// marshalling does; functions, userdata and threads are dropped on the way in.
struct value {
  enum class kind : std::uint8_t { nil, boolean, number, string, table };

  kind type = kind::nil;
  bool boolean = false;
  double number = 0;  // CC numbers are doubles
  std::string text;   // byte string, any bytes
  std::uint32_t table = 0;

  static value of_boolean(bool b) { value v; v.type = kind::boolean; v.boolean = b; return v; }
  static value of_number(double n) { value v; v.type = kind::number; v.number = n; return v; }
  static value of_string(std::string s) {
    value v; v.type = kind::string; v.text = std::move(s); return v;
  }
};

struct value_table {
  std::vector<std::pair<value, value>> entries;
};

// A list of values (an event's arguments, a message) and the tables they reference.
struct value_list {
  std::vector<value> items;
  std::vector<value_table> tables;
};

// An event as it waits in a computer's queue.
struct event {
  std::string name;
  value_list args;
};

}  // namespace redrund
