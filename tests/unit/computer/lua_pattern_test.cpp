// Lua patterns for host code: matching is Lua's own, and the static check finds every
// malformed pattern Lua would report, wherever the mistake is.

#include <catch2/catch.hpp>

#include "computer/lua_pattern.hpp"

using redrund::lua_pattern_check;
using redrund::lua_pattern_find;

TEST_CASE("lua_pattern_find has string.find semantics", "[lua]") {
  std::string error;
  CHECK(lua_pattern_find("Position is 12,-3", "Position is %-?%d+", error));
  CHECK(error.empty());
  CHECK_FALSE(lua_pattern_find("Position is x", "Position is %d", error));
  CHECK(lua_pattern_find("a\nb", "^a\nb$", error));
  CHECK_FALSE(lua_pattern_find("a\nb", "^b", error));
  CHECK(lua_pattern_find("f(x)", "%b()", error));
  CHECK(lua_pattern_find(std::string("a\0b", 3), "a%zb", error));
  CHECK_FALSE(lua_pattern_find("abc", "abc%", error));
  CHECK(error == "malformed pattern (ends with '%')");
}

TEST_CASE("lua_pattern_check accepts well-formed patterns", "[lua]") {
  for (const char* p : {"", "^abc$", "a$b", "%d+%.%d*", "[%]]", "[^]]", "[]]", "%bxy", "%f[%w]%w+", "(a)%1", "()",
                        "((a)(b))%3", "*?+-", "x%-", "[a-z%d_]+", "%%", "a)"})
    CHECK_FALSE(lua_pattern_check(p));
}

TEST_CASE("lua_pattern_check reports what Lua would, even where matching stops early", "[lua]") {
  CHECK(lua_pattern_check("zz%") == "malformed pattern (ends with '%')");
  CHECK(lua_pattern_check("zz[a") == "malformed pattern (missing ']')");
  CHECK(lua_pattern_check("zz[a%") == "malformed pattern (missing ']')");
  CHECK(lua_pattern_check("zz%b(") == "malformed pattern (missing arguments to '%b')");
  CHECK(lua_pattern_check("zz%fx") == "missing '[' after '%f' in pattern");
  CHECK(lua_pattern_check("zz%1") == "invalid capture index %1");
  CHECK(lua_pattern_check("zz(a%1)") == "invalid capture index %1");
  CHECK(lua_pattern_check("zz%0") == "invalid capture index %0");
  CHECK(lua_pattern_check("z.)") == "invalid pattern capture");
  CHECK_FALSE(lua_pattern_check("zz)"));  // no special character: searched as plain text
  CHECK(lua_pattern_check("zz(a") == "unfinished capture");
  CHECK(lua_pattern_check(std::string(33, '(') + std::string(33, ')')) == "too many captures");
  // Each agrees with Lua when the matcher does reach the mistake.
  std::string error;
  for (const char* p : {"%", "[a", "%b(", "%fx", "%1", ".)"}) {
    lua_pattern_find(std::string(p) + "zz", p, error);
    CHECK(error == *lua_pattern_check(p));
  }
}
