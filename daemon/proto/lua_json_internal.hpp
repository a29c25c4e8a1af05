#pragma once

// Shared by the Lua value encoder and decoder (lua_json.cpp, lua_json_decode.cpp); not part
// of proto's interface.

#include <string>
#include <string_view>

#include "computer/value.hpp"

namespace redrund::proto::detail {

// The reserved member names of the special forms (proto/lua-values.md).
inline constexpr std::string_view number_key = "$number";
inline constexpr std::string_view bytes_key = "$bytes";
inline constexpr std::string_view table_key = "$table";
inline constexpr std::string_view id_key = "$id";
inline constexpr std::string_view ref_key = "$ref";

inline bool is_reserved_key(std::string_view key) { return !key.empty() && key.front() == '$'; }

// The deterministic order of table keys: numbers ascending, then strings bytewise, then
// false before true, then tables by arena index. NaN never reaches here (Lua forbids it as
// a key; both directions drop or refuse it).
bool key_less(const value& a, const value& b);
bool key_equal(const value& a, const value& b);

// A path segment for an object member: ".name" for identifier-like names, `["..."]` else.
std::string member_segment(std::string_view key);

}  // namespace redrund::proto::detail
