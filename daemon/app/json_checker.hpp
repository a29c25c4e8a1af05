#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace redrund {

// JSON paths as users write them: `computers[3].position`, `files["lib/util.lua"]`; the
// document itself is `$`.
std::string member_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);
// A string as a JSON literal, for messages ("up" -> "\"up\"").
std::string json_quoted(std::string_view text);

// Parses JSON, reporting duplicate keys (which the parser would otherwise resolve silently
// in favour of the last) by path. Throws nlohmann::json::parse_error on malformed input.
nlohmann::json parse_json_strict(std::string_view text, std::vector<std::string>& duplicate_key_paths);
// What parse_json_strict threw, as one problem: "malformed JSON at byte 12: ...".
std::string json_parse_problem(const nlohmann::json::exception& e);

// Typed reads from a JSON document that record a "path: problem" line for each problem
// instead of stopping at the first, so a user sees every mistake at once. Each read returns
// std::nullopt (or false) after reporting.
class json_checker {
 public:
  void fail(const std::string& path, const std::string& problem);
  const std::vector<std::string>& errors() const { return errors_; }
  std::vector<std::string> take_errors() { return std::move(errors_); }
  // How many of the errors were keys object() did not know.
  std::size_t unknown_keys() const { return unknown_keys_; }

  // An object whose keys are all in `allowed`; each other key is reported as unknown.
  bool object(const nlohmann::json& v, const std::string& path, std::initializer_list<std::string_view> allowed);
  // object[key] if present; reports it as required when absent and `required` holds.
  const nlohmann::json* member(const nlohmann::json& object, const std::string& path, std::string_view key,
                               bool required = false);
  bool array(const nlohmann::json& v, const std::string& path);
  std::optional<std::string> string(const nlohmann::json& v, const std::string& path, bool allow_empty = false);
  // A number in [min, max] (or (min, max] when `above_min`).
  std::optional<double> number(const nlohmann::json& v, const std::string& path, double min, double max,
                               bool above_min = false);
  // An integral number (1 and 1.0 alike, as JSON Schema) in [min, max].
  std::optional<std::uint64_t> whole(const nlohmann::json& v, const std::string& path, std::uint64_t min,
                                     std::uint64_t max);
  std::optional<std::int64_t> signed_whole(const nlohmann::json& v, const std::string& path);

 private:
  std::vector<std::string> errors_;
  std::size_t unknown_keys_ = 0;
};

}  // namespace redrund
