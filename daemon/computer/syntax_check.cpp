#include "computer/syntax_check.hpp"

#include <lua.hpp>

#include <memory>

namespace redrund {

std::optional<std::string> check_syntax(std::string_view source, std::string_view chunk_name) {
  const std::unique_ptr<lua_State, decltype(&lua_close)> state(luaL_newstate(), &lua_close);
  if (!state) return std::string("not enough memory");
  const std::string name = "@" + std::string(chunk_name);
  if (luaL_loadbufferx(state.get(), source.data(), source.size(), name.c_str(), "t") == LUA_OK)
    return std::nullopt;
  const char* message = lua_tostring(state.get(), -1);
  return std::string(message ? message : "syntax error");
}

}  // namespace redrund
