#pragma once

#include <lua.hpp>

#include "computer/value.hpp"

namespace redrund {

// The standard libraries a CC computer has, minus everything CC leaves out (sandbox.cpp).
void open_sandboxed_libraries(lua_State* L);
// coroutine.resume and coroutine.wrap that pass a preemption pause up to the host
// (coroutine_api.cpp); part of the sandboxed libraries.
void install_pausable_coroutines(lua_State* L);
// Guards on library functions that could crash the process or escape the instruction
// budget (library_guards.cpp); part of the sandboxed libraries.
void install_library_guards(lua_State* L);
// Native CC APIs: os, term, fs, peripheral, redstone/rs.
void open_native_apis(lua_State* L);
void open_os_api(lua_State* L);
void open_term_api(lua_State* L);
void open_fs_api(lua_State* L);
void open_peripheral_api(lua_State* L);
void open_redstone_api(lua_State* L);
// The native http API (http_api.cpp); installed only when the computer has an outbound_http.
void open_http_api(lua_State* L);
// Called with an event's name and arguments on the stack, as the machine pushes it: turns the
// connection id of a websocket_success into its handle, as CC passes the handle object.
// [-0, +0]
void replace_event_handles(lua_State* L, const event& e);
// Pushes the private host table the bios receives (see lua/README.md). [-0, +1]
void open_host_table(lua_State* L);

}  // namespace redrund
