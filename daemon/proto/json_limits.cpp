#include "proto/json_limits.hpp"

#include <utility>
#include <vector>

namespace redrund::proto {
namespace {

using nlohmann::json;

// Builds the document from SAX events, as json::parse does internally, but keeps the
// position and message of a parse error instead of throwing. Nesting is bounded before this
// runs (find_excess_depth), so stack_ stays short.
class dom_builder final : public json::json_sax_t {
 public:
  explicit dom_builder(json& root) : root_(root) {}

  bool null() override { return place(nullptr) != nullptr; }
  bool boolean(bool v) override { return place(v) != nullptr; }
  bool number_integer(number_integer_t v) override { return place(v) != nullptr; }
  bool number_unsigned(number_unsigned_t v) override { return place(v) != nullptr; }
  bool number_float(number_float_t v, const string_t&) override { return place(v) != nullptr; }
  bool string(string_t& v) override { return place(std::move(v)) != nullptr; }
  bool binary(binary_t& v) override { return place(json::binary(std::move(v))) != nullptr; }

  bool start_object(std::size_t) override {
    stack_.push_back(place(json::object()));
    return true;
  }
  bool key(string_t& name) override {
    // operator[] on an existing key returns it, so a duplicate key's last value wins.
    pending_ = &(*stack_.back())[name];
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    stack_.push_back(place(json::array()));
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const json::exception& ex) override {
    error_position_ = position;
    error_message_ = ex.what();
    return false;
  }

  std::size_t error_position() const { return error_position_; }
  const std::string& error_message() const { return error_message_; }

 private:
  // Puts a finished value where the grammar says it goes; returns where it now lives.
  json* place(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(v));
      return &stack_.back()->back();
    }
    *pending_ = std::move(v);
    return pending_;
  }

  json& root_;
  std::vector<json*> stack_;
  json* pending_ = nullptr;
  std::size_t error_position_ = 0;
  std::string error_message_;
};

// nlohmann prefixes messages with "[json.exception.parse_error.101] "; clients need the rest.
std::string without_exception_id(std::string message) {
  if (!message.empty() && message.front() == '[') {
    const std::size_t end = message.find("] ");
    if (end != std::string::npos) message.erase(0, end + 2);
  }
  return message;
}

}  // namespace

std::size_t find_excess_depth(std::string_view text, std::size_t depth_max) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > depth_max) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

result<json, json_parse_error> parse_json_frame(std::string_view text, const json_limits& limits) {
  using kind = json_parse_error::kind;
  if (text.size() > limits.frame_bytes_max) {
    return failure(json_parse_error{kind::too_large,
                                    "message of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                        std::to_string(limits.frame_bytes_max) + " bytes",
                                    limits.frame_bytes_max});
  }
  // nlohmann's lexer takes a NUL byte for the end of input and would accept "1\0garbage";
  // JSON allows no raw NUL anywhere, so any is an error.
  if (const std::size_t at = text.find('\0'); at != std::string_view::npos) {
    return failure(json_parse_error{kind::syntax, "unexpected NUL byte", at});
  }
  if (const std::size_t at = find_excess_depth(text, limits.depth_max); at != std::string_view::npos) {
    return failure(json_parse_error{
        kind::too_deep, "nesting deeper than " + std::to_string(limits.depth_max) + " levels", at});
  }
  json document;
  dom_builder builder(document);
  try {
    if (json::sax_parse(text.begin(), text.end(), &builder)) return document;
  } catch (const std::exception& ex) {  // bad_alloc; the builder itself reports parse errors
    return failure(json_parse_error{kind::syntax, ex.what(), 0});
  }
  // nlohmann counts characters read, the offending one included.
  const std::size_t position = builder.error_position();
  return failure(json_parse_error{kind::syntax, without_exception_id(builder.error_message()),
                                  position > 0 ? position - 1 : 0});
}

std::string dump_json(const nlohmann::json& document, int indent) {
  return document.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string quote_json_string(std::string_view text) { return dump_json(json(std::string(text))); }

}  // namespace redrund::proto
