// The native half of CC's http API: opening WebSockets and checking URLs through the host's
// outbound_http provider, and the WebSocket handles (send, receive, close). The blocking
// functions (http.websocket, http.checkURL) are Lua, in rom/apis/http/http.lua, as in CC.
// Installed only when the computer has a provider (config: http.enabled, real time only).

#include <algorithm>
#include <cstring>

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/clock_math.hpp"
#include "computer/computer.hpp"
#include "computer/outbound_http.hpp"

namespace redrund {
namespace {

// Registry table: connection id -> the handle Lua will see in websocket_success.
char websocket_handles_key;

// What a provider call left to tell Lua, copied out of C++ objects so that raising (which
// longjmps) happens only after they are destroyed (binding.hpp's error discipline).
struct call_result {
  http_outcome::status status = http_outcome::status::ok;
  std::uint64_t id = 0;
  char message[256] = {};
  std::size_t message_size = 0;

  explicit call_result(const http_outcome& outcome) : status(outcome.result), id(outcome.id) {
    message_size = std::min(outcome.message.size(), sizeof message);
    std::memcpy(message, outcome.message.data(), message_size);
  }
};

// A handle's connection: a full userdata (plain data, no finaliser) shared by its methods.
struct connection_cell {
  std::uint64_t id = 0;
};

outbound_http& provider(lua_State* L) { return *computer_of(L).http(); }

std::uint64_t cell_id(lua_State* L) {
  return static_cast<const connection_cell*>(lua_touserdata(L, lua_upvalueindex(1)))->id;
}

// Returns `false, message` for a refusal, raises an error, or returns nothing for success.
int finish_call(lua_State* L, const call_result& r) {
  if (r.status == http_outcome::status::ok) return -1;
  lua_pushboolean(L, 0);
  lua_pushlstring(L, r.message, r.message_size);
  if (r.status == http_outcome::status::refused) return 2;
  return lua_error(L);
}

void push_handles(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &websocket_handles_key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &websocket_handles_key);
}

void forget_handle(lua_State* L, std::uint64_t id) {
  push_handles(L);
  lua_pushnil(L);
  lua_rawseti(L, -2, static_cast<lua_Integer>(id));
  lua_pop(L, 1);
}

void ensure_open(lua_State* L) {
  if (provider(L).state(computer_of(L).id(), cell_id(L)) != websocket_state::open)
    raise_error(L, "attempt to use a closed file");
}

// CC turns a Lua string into Java text byte by byte and sends text frames as UTF-8, so bytes
// 0x80-0xFF go out as two-byte sequences (the frame is always valid UTF-8).
std::string latin1_to_utf8(const char* data, std::size_t size) {
  std::string out;
  out.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    const auto byte = static_cast<unsigned char>(data[i]);
    if (byte < 0x80) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.push_back(static_cast<char>(0xc0 | (byte >> 6)));
      out.push_back(static_cast<char>(0x80 | (byte & 0x3f)));
    }
  }
  return out;
}

int handle_send(lua_State* L) {
  // CC coerces numbers to strings here; anything else is refused.
  if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER) raise_bad_argument(L, 1, "string");
  const bool binary = opt_boolean(L, 2).value_or(false);
  std::size_t size = 0;
  const char* data = lua_tolstring(L, 1, &size);
  ensure_open(L);
  const auto computer_id = computer_of(L).id();
  const auto id = cell_id(L);
  const call_result r = [&] {
    if (binary) return call_result(provider(L).send(computer_id, id, std::string_view(data, size), true));
    const std::string text = latin1_to_utf8(data, size);
    return call_result(provider(L).send(computer_id, id, text, false));
  }();
  const int returned = finish_call(L, r);
  return returned < 0 ? 0 : returned;
}

// receive's continuation: called with each event the coroutine is resumed with (the stack
// holds the event's name and arguments) until one ends the wait.
int receive_continue(lua_State* L, int, lua_KContext timer_plus_one) {
  const char* name = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : "";
  if (std::strcmp(name, "terminate") == 0) raise_error(L, "Terminated");
  const bool ours = lua_gettop(L) >= 2 && lua_rawequal(L, 2, lua_upvalueindex(2));
  if (ours && lua_gettop(L) >= 3 && std::strcmp(name, "websocket_message") == 0) {
    lua_remove(L, 1);
    lua_remove(L, 1);
    return lua_gettop(L);  // contents, isBinary
  }
  if (ours && std::strcmp(name, "websocket_closed") == 0 &&
      provider(L).state(computer_of(L).id(), cell_id(L)) == websocket_state::closed)
    return 0;
  if (timer_plus_one != 0 && std::strcmp(name, "timer") == 0 && lua_isinteger(L, 2) &&
      lua_tointeger(L, 2) == static_cast<lua_Integer>(timer_plus_one - 1))
    return 0;
  lua_settop(L, 0);
  return lua_yieldk(L, 0, timer_plus_one, receive_continue);
}

int handle_receive(lua_State* L) {
  const auto timeout = opt_number(L, 1);
  ensure_open(L);
  lua_KContext timer_plus_one = 0;
  if (timeout) {
    computer& self = computer_of(L);
    timer_plus_one = static_cast<lua_KContext>(self.timers().start_timer(self.clock().now_ticks, timer_ticks(*timeout))) + 1;
  }
  lua_settop(L, 0);
  return lua_yieldk(L, 0, timer_plus_one, receive_continue);
}

int handle_close(lua_State* L) {
  const auto id = cell_id(L);
  provider(L).close(computer_of(L).id(), id);
  forget_handle(L, id);
  return 0;
}

// Pushes a new handle for `url` (at url_index) whose methods share one connection cell.
// [-0, +2]: the handle, then the cell.
void push_new_handle(lua_State* L, int url_index) {
  static constexpr std::pair<const char*, lua_CFunction> methods[] = {
      {"receive", lua_entry<handle_receive>}, {"send", lua_entry<handle_send>}, {"close", lua_entry<handle_close>}};
  lua_createtable(L, 0, 3);
  auto* cell = static_cast<connection_cell*>(lua_newuserdatauv(L, sizeof(connection_cell), 0));
  *cell = connection_cell{};
  for (const auto& [name, function] : methods) {
    lua_pushvalue(L, -1);
    lua_pushvalue(L, url_index);
    lua_pushcclosure(L, function, 2);
    lua_setfield(L, -3, name);
  }
}

// Copies string keys with string values out of the table at `index`; other entries are
// ignored, as CC does. Raises nothing (the entries are read raw, the strings not converted).
http_headers read_headers(lua_State* L, int index) {
  http_headers headers;
  if (!lua_istable(L, index)) return headers;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
      std::size_t name_size = 0, value_size = 0;
      const char* name = lua_tolstring(L, -2, &name_size);
      const char* value = lua_tolstring(L, -1, &value_size);
      headers.emplace_back(std::string(name, name_size), std::string(value, value_size));
    }
    lua_pop(L, 1);
  }
  return headers;
}

// "bad field 'name' (expected expected, got <type of the value on top>)", without position.
[[noreturn]] void raise_bad_field(lua_State* L, const char* name, const char* expected) {
  lua_pushfstring(L, "bad field '%s' (%s expected, got %s)", name, expected, cc_type_name(L, -1));
  lua_error(L);
  __builtin_unreachable();
}

// Accepts (url [, headers]) or CC's table form ({ url = ..., headers = ... }) and leaves the
// URL at index 1 and the headers (or nil) at index 2.
void normalise_request(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_settop(L, 1);
    if (lua_getfield(L, 1, "url") != LUA_TSTRING) raise_bad_field(L, "url", "string");
    if (const int type = lua_getfield(L, 1, "headers"); type != LUA_TNIL && type != LUA_TTABLE)
      raise_bad_field(L, "headers", "table");
    lua_remove(L, 1);
    return;
  }
  check_string(L, 1);
  if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2)) raise_bad_argument(L, 2, "table");
  lua_settop(L, 2);
}

// http.websocket (native): true when opening started, false and a reason when the URL is
// refused; raises when too many connections are open.
int http_websocket(lua_State* L) {
  normalise_request(L);
  push_new_handle(L, 1);  // created first: nothing can fail after the connection exists
  const call_result r = [&] {
    std::size_t size = 0;
    const char* url = lua_tolstring(L, 1, &size);
    const http_headers headers = read_headers(L, 2);
    return call_result(provider(L).open_websocket(computer_of(L).id(), std::string_view(url, size), headers));
  }();
  if (const int returned = finish_call(L, r); returned >= 0) return returned;
  static_cast<connection_cell*>(lua_touserdata(L, 4))->id = r.id;
  push_handles(L);
  lua_pushvalue(L, 3);
  lua_rawseti(L, -2, static_cast<lua_Integer>(r.id));
  lua_pushboolean(L, 1);
  return 1;
}

// http.checkURL (native): true when the check started (an http_check event follows).
int http_check_url(lua_State* L) {
  const auto url = check_string(L, 1);
  const call_result r(provider(L).check_url(computer_of(L).id(), url));
  if (const int returned = finish_call(L, r); returned >= 0) return returned;
  lua_pushboolean(L, 1);
  return 1;
}

constexpr native_function http_functions[] = {
    {"websocket", native<http_websocket>},
    {"checkURL", native<http_check_url>},
};

// Drops handles whose connection has ended, so the registry does not keep them forever.
void forget_closed_handles(lua_State* L) {
  push_handles(L);
  const int handles = lua_gettop(L);
  const auto computer_id = computer_of(L).id();
  lua_pushnil(L);
  while (lua_next(L, handles) != 0) {
    lua_pop(L, 1);
    const auto id = static_cast<std::uint64_t>(lua_tointeger(L, -1));
    if (provider(L).state(computer_id, id) == websocket_state::closed) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, handles);  // clearing a present key during traversal is allowed
    }
  }
  lua_pop(L, 1);
}

}  // namespace

void open_http_api(lua_State* L) {
  if (computer_of(L).http() == nullptr) return;
  register_global_api(L, "http", http_functions);
}

// A program that queues its own websocket_success naming one of its open connections' ids
// gets that handle too: events carry no mark of who queued them. Harmless (the handle is the
// program's own), and a made-up id keeps its number.
void replace_event_handles(lua_State* L, const event& e) {
  static constexpr std::string_view prefix = "websocket_";
  if (e.name.compare(0, prefix.size(), prefix) != 0 || computer_of(L).http() == nullptr) return;
  if (e.name == "websocket_closed" || e.name == "websocket_failure") return forget_closed_handles(L);
  if (e.name != "websocket_success" || lua_gettop(L) < 3 || !lua_isinteger(L, 3)) return;
  push_handles(L);
  if (lua_rawgeti(L, -1, lua_tointeger(L, 3)) == LUA_TTABLE) lua_replace(L, 3);
  else lua_pop(L, 1);
  lua_pop(L, 1);
}

}  // namespace redrund
