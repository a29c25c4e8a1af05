#pragma once

#include <lua.hpp>

namespace redrund {

class computer;
class machine;

// What a Lua state knows about its host, stored in the state's extra space (copied into
// every coroutine the state creates), so bindings and hooks find their computer in O(1).
struct lua_context {
  computer* owner = nullptr;
  machine* vm = nullptr;
};

inline lua_context& context_of(lua_State* L) {
  return **static_cast<lua_context**>(lua_getextraspace(L));
}

}  // namespace redrund
