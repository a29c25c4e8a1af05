#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace redrund {

// Lua 5.4 pattern matching for host code (scenario output expectations), Lua-free interface.
// Whether `pattern` occurs in `text` with `string.find` semantics, run in a scratch Lua state
// so the semantics are Lua's own. On a malformed pattern (or one too complex to match) returns
// false and sets `error` to Lua's message; otherwise clears `error`.
bool lua_pattern_find(std::string_view text, std::string_view pattern, std::string& error);

// Lua's message for a malformed pattern, found without a subject. Lua reports a pattern's
// mistakes only when the matcher reaches them (a pattern that fails on its first character
// never reports a bad tail), so this walks the whole pattern the way lstrlib.c's matcher does.
std::optional<std::string> lua_pattern_check(std::string_view pattern);

}  // namespace redrund
