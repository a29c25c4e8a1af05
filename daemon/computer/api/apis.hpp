#pragma once

#include <lua.hpp>

namespace redrund {

// The standard libraries a CC computer has, minus everything CC leaves out (sandbox.cpp).
void open_sandboxed_libraries(lua_State* L);
// Native CC APIs: os, term, fs, peripheral, redstone/rs.
void open_native_apis(lua_State* L);
void open_os_api(lua_State* L);
void open_term_api(lua_State* L);
void open_fs_api(lua_State* L);
void open_peripheral_api(lua_State* L);
void open_redstone_api(lua_State* L);
// Pushes the private host table the bios receives (see lua/README.md). [-0, +1]
void open_host_table(lua_State* L);

}  // namespace redrund
