#include "app/json_checker.hpp"

#include "proto/json_limits.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace redrund {
namespace {

using json = nlohmann::json;

bool is_identifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (const char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string format_number(double v) {
  char buffer[32];
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    std::snprintf(buffer, sizeof buffer, "%.0f", v);
  else
    std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

std::string type_name(const json& v) {
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  return "an object";
}

// Tracks where the parser is, to name the path of a repeated key.
class duplicate_key_finder {
 public:
  explicit duplicate_key_finder(std::vector<std::string>& found) : found_(found) {}

  bool on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back({event == json::parse_event_t::array_start, child_path(), {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        break;
      case json::parse_event_t::key:
        frames_.back().key = parsed.get<std::string>();
        if (!frames_.back().keys.insert(frames_.back().key).second)
          found_.push_back(member_path(frames_.back().path, frames_.back().key));
        break;
      case json::parse_event_t::value:
        if (!frames_.empty() && frames_.back().is_array) ++frames_.back().next_index;
        break;
    }
    return true;
  }

 private:
  struct frame {
    bool is_array;
    std::string path;
    std::string key;
    std::set<std::string> keys;
    std::size_t next_index;
  };

  // The path of a container starting inside the innermost open one.
  std::string child_path() {
    if (frames_.empty()) return "";
    frame& parent = frames_.back();
    return parent.is_array ? index_path(parent.path, parent.next_index++) : member_path(parent.path, parent.key);
  }

  std::vector<std::string>& found_;
  std::vector<frame> frames_;
};

}  // namespace

std::string member_path(const std::string& parent, std::string_view key) {
  if (!is_identifier(key)) return parent + "[" + json_quoted(key) + "]";
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string json_quoted(std::string_view text) {
  return proto::quote_json_string(text);
}

json parse_json_strict(std::string_view text, std::vector<std::string>& duplicate_key_paths) {
  duplicate_key_finder finder(duplicate_key_paths);
  return json::parse(text.begin(), text.end(),
                     [&finder](int, json::parse_event_t event, json& parsed) { return finder.on_event(event, parsed); });
}

std::string json_parse_problem(const json::exception& e) {
  // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ...";
  // a number too large for a double is an out_of_range error, without an offset.
  std::string message = e.what();
  if (const auto bracket = message.find("] "); message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos)
    message.erase(0, bracket + 2);
  const auto* parse_error = dynamic_cast<const json::parse_error*>(&e);
  return "malformed JSON" + (parse_error ? " at byte " + std::to_string(parse_error->byte) : "") + ": " + message;
}

void json_checker::fail(const std::string& path, const std::string& problem) {
  errors_.push_back((path.empty() ? "$" : path) + ": " + problem);
}

bool json_checker::object(const json& v, const std::string& path, std::initializer_list<std::string_view> allowed) {
  if (!v.is_object()) {
    fail(path, "expected an object, got " + type_name(v));
    return false;
  }
  for (const auto& [key, value] : v.items()) {
    bool known = false;
    for (const std::string_view name : allowed) known = known || name == key;
    if (known) continue;
    std::string expected;
    for (const std::string_view name : allowed) expected += (expected.empty() ? "" : ", ") + std::string(name);
    fail(member_path(path, key), "unknown key (expected one of: " + expected + ")");
    ++unknown_keys_;
  }
  return true;
}

const json* json_checker::member(const json& object, const std::string& path, std::string_view key, bool required) {
  const auto found = object.find(key);
  if (found != object.end()) return &*found;
  if (required) fail(member_path(path, key), "required");
  return nullptr;
}

bool json_checker::array(const json& v, const std::string& path) {
  if (v.is_array()) return true;
  fail(path, "expected an array, got " + type_name(v));
  return false;
}

std::optional<std::string> json_checker::string(const json& v, const std::string& path, bool allow_empty) {
  if (!v.is_string()) {
    fail(path, "expected a string, got " + type_name(v));
    return std::nullopt;
  }
  std::string text = v.get<std::string>();
  if (text.empty() && !allow_empty) {
    fail(path, "expected a non-empty string");
    return std::nullopt;
  }
  return text;
}

std::optional<double> json_checker::number(const json& v, const std::string& path, double min, double max,
                                           bool above_min) {
  const bool ok = v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() <= max &&
                  (above_min ? v.get<double>() > min : v.get<double>() >= min);
  if (ok) return v.get<double>();
  if (above_min && min == 0 && max == std::numeric_limits<double>::max())
    fail(path, "expected a positive number");
  else if (above_min)
    fail(path, "expected a number above " + format_number(min) + " and at most " + format_number(max));
  else
    fail(path, "expected a number between " + format_number(min) + " and " + format_number(max));
  return std::nullopt;
}

std::optional<std::uint64_t> json_checker::whole(const json& v, const std::string& path, std::uint64_t min,
                                                 std::uint64_t max) {
  std::optional<std::uint64_t> value;
  if (v.is_number_unsigned()) {
    value = v.get<std::uint64_t>();
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    // 2^64: the first double past every uint64_t.
    if (std::isfinite(d) && std::floor(d) == d && d >= 0 && d < 18446744073709551616.0)
      value = static_cast<std::uint64_t>(d);
  }
  if (value && *value >= min && *value <= max) return value;
  fail(path, "expected an integer between " + std::to_string(min) + " and " + std::to_string(max));
  return std::nullopt;
}

std::optional<std::int64_t> json_checker::signed_whole(const json& v, const std::string& path) {
  if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX))
    return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    // +-2^63: the doubles that fit an int64_t.
    if (std::isfinite(d) && std::floor(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
  }
  fail(path, "expected an integer");
  return std::nullopt;
}

}  // namespace redrund
