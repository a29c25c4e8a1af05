#include "proto/jsonrpc_params.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/assert.hpp"
#include "proto/lua_json_internal.hpp"

namespace redrund::proto {

using nlohmann::json;

params_reader::params_reader(const json& params, std::string path) : path_(std::move(path)) {
  if (params.is_object()) params_ = &params;
  else if (!params.is_null()) error_ = rpc_error::invalid_params(path_, "expected an object of named parameters");
}

std::string params_reader::path_of(std::string_view field) const { return path_ + detail::member_segment(field); }

const rpc_error& params_reader::error() const {
  REDRUND_ASSERT(error_.has_value());
  return *error_;
}

void params_reader::fail(std::string_view field, std::string_view problem) {
  if (!error_) error_ = rpc_error::invalid_params(path_of(field), problem);
}

void params_reader::fail(const rpc_error& error) {
  if (!error_) error_ = error;
}

const json* params_reader::find(std::string_view field, bool required) {
  if (error_) return nullptr;
  const json* found = nullptr;
  if (params_ != nullptr) {
    const auto it = params_->find(field);
    if (it != params_->end() && !it->is_null()) found = &*it;
  }
  if (found == nullptr && required) fail(field, "required");
  return found;
}

void params_reader::reject_unknown(std::initializer_list<std::string_view> known) {
  if (error_ || params_ == nullptr) return;
  for (auto it = params_->begin(); it != params_->end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      fail(it.key(), "unknown parameter");
      return;
    }
  }
}

std::optional<std::string> params_reader::read_string(std::string_view field, bool required) {
  const json* v = find(field, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(field, "expected a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<bool> params_reader::read_bool(std::string_view field, bool required) {
  const json* v = find(field, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    fail(field, "expected a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::int64_t> params_reader::read_int(std::string_view field, std::int64_t min, std::int64_t max,
                                                    bool required) {
  const json* v = find(field, required);
  if (v == nullptr) return std::nullopt;
  // Compared as doubles so that 1.0 counts and huge unsigned values cannot wrap; the bounds
  // a handler passes are far inside the range where doubles are exact.
  const double n = v->is_number() ? v->get<double>() : std::nan("");
  const bool fits = n == std::trunc(n) && std::fabs(n) < 9.2e18;  // so the cast below is defined
  if (!(fits && n >= static_cast<double>(min) && n <= static_cast<double>(max))) {
    fail(field, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return std::nullopt;
  }
  return static_cast<std::int64_t>(n);
}

std::optional<double> params_reader::read_number(std::string_view field, double min, double max, bool required) {
  const json* v = find(field, required);
  if (v == nullptr) return std::nullopt;
  const double n = v->is_number() ? v->get<double>() : std::nan("");
  if (!(n >= min && n <= max)) {
    fail(field, "expected a number in [" + json(min).dump() + ", " + json(max).dump() + "]");
    return std::nullopt;
  }
  return n;
}

std::optional<std::array<double, 3>> params_reader::read_vec3(std::string_view field, bool required) {
  const json* v = find(field, required);
  if (v == nullptr) return std::nullopt;
  const bool shaped = v->is_array() && v->size() == 3 && std::all_of(v->begin(), v->end(), [](const json& n) {
                        return n.is_number() && std::isfinite(n.get<double>());
                      });
  if (!shaped) {
    fail(field, "expected 3 numbers");
    return std::nullopt;
  }
  return std::array<double, 3>{(*v)[0].get<double>(), (*v)[1].get<double>(), (*v)[2].get<double>()};
}

std::optional<value_list> params_reader::read_values(std::string_view field, const lua_json_limits& limits,
                                                     bool required) {
  const json* v = find(field, required);
  if (v == nullptr) return std::nullopt;
  result<value_list, lua_json_error> decoded = decode_values(*v, limits);
  if (!decoded) {
    if (!error_) error_ = rpc_error{error_code::invalid_params, decoded.error().describe(path_of(field)), nullptr};
    return std::nullopt;
  }
  return std::move(decoded).value();
}

}  // namespace redrund::proto
