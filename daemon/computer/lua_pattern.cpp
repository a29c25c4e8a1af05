#include "computer/lua_pattern.hpp"

#include <lua.hpp>

#include <memory>
#include <vector>

namespace redrund {
namespace {

// Lua 5.4's LUA_MAXCAPTURES (luaconf.h default).
constexpr std::size_t captures_max = 32;

// Runs in protected mode (opening a library can run out of memory): returns string.find.
int open_string_find(lua_State* L) {
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
  lua_getfield(L, -1, "find");
  return 1;
}

std::string pop_error(lua_State* L) {
  const char* message = lua_tostring(L, -1);
  return message ? message : "pattern error";
}

// lstrlib.c's classEnd: the index just past the single-character class starting at `i`.
std::optional<std::size_t> class_end(std::string_view p, std::size_t i, std::string& error) {
  const char c = p[i++];
  if (c == '%') {
    if (i == p.size()) {
      error = "malformed pattern (ends with '%')";
      return std::nullopt;
    }
    return i + 1;
  }
  if (c != '[') return i;
  if (i < p.size() && p[i] == '^') ++i;
  do {  // look for the closing ']'; the first character is never it
    if (i == p.size()) {
      error = "malformed pattern (missing ']')";
      return std::nullopt;
    }
    if (p[i++] == '%' && i < p.size()) ++i;
  } while (i == p.size() || p[i] != ']');
  return i + 1;
}

// One pattern item starting with '%' that is not a plain class: %b, %f or a back reference.
// Returns the index past it, std::nullopt with `error` set, or `i` itself for a plain class.
std::optional<std::size_t> special_item(std::string_view p, std::size_t i, const std::vector<bool>& closed,
                                        std::string& error) {
  if (i + 1 >= p.size()) return i;
  const char next = p[i + 1];
  if (next == 'b') {
    if (i + 3 >= p.size()) {
      error = "malformed pattern (missing arguments to '%b')";
      return std::nullopt;
    }
    return i + 4;
  }
  if (next == 'f') {
    if (i + 2 >= p.size() || p[i + 2] != '[') {
      error = "missing '[' after '%f' in pattern";
      return std::nullopt;
    }
    return class_end(p, i + 2, error);
  }
  if (next >= '0' && next <= '9') {
    const int index = next - '1';
    if (index < 0 || static_cast<std::size_t>(index) >= closed.size() || !closed[index]) {
      error = "invalid capture index %" + std::to_string(index + 1);
      return std::nullopt;
    }
    return i + 2;
  }
  return i;
}

}  // namespace

bool lua_pattern_find(std::string_view text, std::string_view pattern, std::string& error) {
  error.clear();
  const std::unique_ptr<lua_State, decltype(&lua_close)> state(luaL_newstate(), &lua_close);
  if (!state) {
    error = "not enough memory";
    return false;
  }
  lua_State* L = state.get();
  lua_pushcfunction(L, open_string_find);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
    error = pop_error(L);
    return false;
  }
  lua_pushlstring(L, text.data(), text.size());
  lua_pushlstring(L, pattern.data(), pattern.size());
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
    error = pop_error(L);
    return false;
  }
  return !lua_isnil(L, -1);
}

std::optional<std::string> lua_pattern_check(std::string_view p) {
  // string.find searches for a pattern without special characters as plain text
  // (lstrlib.c's nospecials), so it cannot be malformed.
  if (p.find_first_of("^$*+?.([%-") == std::string_view::npos) return std::nullopt;
  std::string error;
  std::vector<bool> closed;      // per capture, in opening order: whether it has ended
  std::vector<std::size_t> open; // captures still open, innermost last
  std::size_t i = (!p.empty() && p[0] == '^') ? 1 : 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '(') {
      if (closed.size() >= captures_max) return "too many captures";
      const bool position = i + 1 < p.size() && p[i + 1] == ')';
      if (!position) open.push_back(closed.size());
      closed.push_back(position);
      i += position ? 2 : 1;
    } else if (c == ')') {
      if (open.empty()) return "invalid pattern capture";
      closed[open.back()] = true;
      open.pop_back();
      ++i;
    } else if (c == '$' && i + 1 == p.size()) {
      ++i;
    } else {
      auto next = c == '%' ? special_item(p, i, closed, error) : std::optional<std::size_t>(i);
      if (next && *next == i) next = class_end(p, i, error);
      if (!next) return error;
      i = *next;
      // A quantifier after a plain item (Lua treats it as a literal elsewhere, harmlessly).
      if (i < p.size() && (p[i] == '?' || p[i] == '*' || p[i] == '+' || p[i] == '-')) ++i;
    }
  }
  if (!open.empty()) return "unfinished capture";
  return std::nullopt;
}

}  // namespace redrund
