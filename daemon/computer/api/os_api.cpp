// The native half of CC's os API (bios.lua adds pullEvent, sleep, run, loadAPI...).

#include <array>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string>
#include <strings.h>

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/clock_math.hpp"
#include "computer/computer.hpp"
#include "computer/label.hpp"
#include "computer/lua_value.hpp"

namespace redrund {
namespace {

// Builds and queues the event in its own scope so nothing with a destructor is alive when
// an error is raised. Returns an error message, or nullptr.
const char* queue_event_from_lua(lua_State* L) {
  computer& self = computer_of(L);
  event e;
  std::size_t name_length = 0;
  const char* name = lua_tolstring(L, 1, &name_length);
  e.name.assign(name, name_length);
  const auto& limits = self.limits();
  const copy_result copied = copy_arguments(L, 2, e.args, {limits.value_depth_max, limits.value_bytes_max});
  if (!copied.ok) return copied.error;
  self.queue_event(std::move(e));
  return nullptr;
}

int os_queue_event(lua_State* L) {
  check_string(L, 1);
  if (const char* error = queue_event_from_lua(L)) return luaL_error(L, "%s", error);
  return 0;
}

int os_start_timer(lua_State* L) {
  const double seconds = check_number(L, 1);
  computer& self = computer_of(L);
  lua_pushinteger(L, self.timers().start_timer(self.clock().now_ticks, timer_ticks(seconds)));
  return 1;
}

int os_cancel_timer(lua_State* L) {
  computer_of(L).timers().cancel_timer(check_integer(L, 1));
  return 0;
}

int os_set_alarm(lua_State* L) {
  const double hour = check_number(L, 1);
  if (hour < 0 || hour >= 24) raise_error(L, "Number out of range");
  computer& self = computer_of(L);
  lua_pushinteger(L, self.timers().set_alarm(alarm_target(ingame_ticks(self.clock()), hour)));
  return 1;
}

int os_cancel_alarm(lua_State* L) {
  computer_of(L).timers().cancel_alarm(check_integer(L, 1));
  return 0;
}

int os_clock(lua_State* L) {
  lua_pushnumber(L, static_cast<double>(computer_of(L).uptime_ticks()) * seconds_per_tick);
  return 1;
}

// The locale argument of os.time/day/epoch, case-insensitive; CC rejects anything else.
enum class locale { ingame, utc, local };

locale check_locale(lua_State* L, int arg) {
  const auto name = opt_string(L, arg);
  if (!name) return locale::ingame;
  const auto is = [&](const char* option) {
    return name->size() == std::strlen(option) && strncasecmp(name->data(), option, name->size()) == 0;
  };
  if (is("ingame")) return locale::ingame;
  if (is("utc")) return locale::utc;
  if (is("local")) return locale::local;
  raise_error(L, "Unsupported operation");
}

// Field of an os.date-style table; hour/min/sec default to 12 as CC's LuaDateTime does.
std::int64_t date_field(lua_State* L, const char* key, std::optional<std::int64_t> fallback) {
  lua_getfield(L, 1, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    if (!fallback) luaL_error(L, "field \"%s\" missing in date table", key);
    return *fallback;
  }
  if (!lua_isnumber(L, -1)) luaL_error(L, "field \"%s\" is not a number", key);
  const auto result = static_cast<std::int64_t>(lua_tonumber(L, -1));
  lua_pop(L, 1);
  return result;
}

int os_time_from_table(lua_State* L) {
  std::tm fields{};
  fields.tm_year = static_cast<int>(date_field(L, "year", std::nullopt) - 1900);
  fields.tm_mon = static_cast<int>(date_field(L, "month", std::nullopt) - 1);
  fields.tm_mday = static_cast<int>(date_field(L, "day", std::nullopt));
  fields.tm_hour = static_cast<int>(date_field(L, "hour", 12));
  fields.tm_min = static_cast<int>(date_field(L, "min", 12));
  fields.tm_sec = static_cast<int>(date_field(L, "sec", 12));
  // The simulation has no time zone: local time is UTC (documented difference).
  lua_pushinteger(L, static_cast<lua_Integer>(timegm(&fields)));
  return 1;
}

int os_time(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE) return os_time_from_table(L);
  const world_clock& clock = computer_of(L).clock();
  if (check_locale(L, 1) == locale::ingame) {
    lua_pushnumber(L, ingame_hours(ingame_ticks(clock)));
    return 1;
  }
  const std::int64_t seconds_of_day = (clock.utc_ms() / 1000) % 86400;
  lua_pushnumber(L, static_cast<double>(seconds_of_day) / 3600.0);
  return 1;
}

int os_day(lua_State* L) {
  const world_clock& clock = computer_of(L).clock();
  if (check_locale(L, 1) == locale::ingame) lua_pushinteger(L, ingame_day(ingame_ticks(clock)));
  else lua_pushinteger(L, clock.utc_ms() / 86'400'000 + 1);
  return 1;
}

int os_epoch(lua_State* L) {
  const world_clock& clock = computer_of(L).clock();
  if (check_locale(L, 1) != locale::ingame) {
    lua_pushinteger(L, clock.utc_ms());
    return 1;
  }
  const tick_t ticks = ingame_ticks(clock);
  const auto day = ingame_day(ticks);
  const double hours = ingame_hours(ticks);
  lua_pushinteger(L, (day * 86'400'000) + static_cast<std::int64_t>(hours * 3'600'000.0));
  return 1;
}

int os_get_computer_id(lua_State* L) {
  lua_pushinteger(L, computer_of(L).id());
  return 1;
}

int os_get_computer_label(lua_State* L) {
  const std::string& label = computer_of(L).label();
  if (label.empty()) lua_pushnil(L);
  else push_string(L, label);
  return 1;
}

// CC's rules: the first 32 characters, unprintable ones replaced by '?' (computer/label.hpp).
int os_set_computer_label(lua_State* L) {
  const auto label = opt_string(L, 1);
  computer_of(L).set_label(label ? normalise_label(*label) : std::string());
  return 0;
}

int os_shutdown(lua_State* L) {
  computer_of(L).request_stop(false);
  return 0;
}

int os_reboot(lua_State* L) {
  computer_of(L).request_stop(true);
  return 0;
}

// os.date: strftime over the world clock's UTC time (the simulation has no time zone, so
// "!"-prefixed and local formats agree). "*t" gives a table.
constexpr const char* date_conversions = "aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%";

void push_date_table(lua_State* L, const std::tm& t) {
  lua_createtable(L, 0, 9);
  const std::pair<const char*, int> fields[] = {
      {"year", t.tm_year + 1900}, {"month", t.tm_mon + 1}, {"day", t.tm_mday},
      {"hour", t.tm_hour},        {"min", t.tm_min},       {"sec", t.tm_sec},
      {"wday", t.tm_wday + 1},    {"yday", t.tm_yday + 1}};
  for (const auto& [key, number] : fields) {
    lua_pushinteger(L, number);
    lua_setfield(L, -2, key);
  }
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "isdst");
}

int os_date(lua_State* L) {
  std::string_view format = opt_string(L, 1).value_or("%c");
  const auto when = opt_number(L, 2);
  // Converting a double beyond time_t's range is undefined: refused as Lua's os.date does.
  if (when && !(*when > -9.0e18 && *when < 9.0e18)) return luaL_error(L, "bad argument #2 to 'date' (time out-of-bounds)");
  const std::time_t seconds = when ? static_cast<std::time_t>(*when)
                                   : static_cast<std::time_t>(computer_of(L).clock().utc_ms() / 1000);
  if (!format.empty() && format.front() == '!') format.remove_prefix(1);
  std::tm t{};
  if (gmtime_r(&seconds, &t) == nullptr) raise_error(L, "date result cannot be represented");
  if (format.substr(0, 2) == "*t") {
    push_date_table(L, t);
    return 1;
  }
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      luaL_addchar(&out, format[i]);
      continue;
    }
    const char bad[3] = {'%', i + 1 < format.size() ? format[i + 1] : '\0', '\0'};
    if (bad[1] == '\0' || std::strchr(date_conversions, bad[1]) == nullptr)
      return luaL_error(L, "bad argument #1 to 'date' (invalid conversion specifier '%s')", bad);
    const char spec[3] = {'%', format[++i], '\0'};
    char piece[128];
    const std::size_t length = std::strftime(piece, sizeof piece, spec, &t);
    luaL_addlstring(&out, piece, length);
  }
  luaL_pushresult(&out);
  return 1;
}

constexpr native_function os_functions[] = {
    {"queueEvent", native<os_queue_event>},
    {"startTimer", native<os_start_timer>},
    {"cancelTimer", native<os_cancel_timer>},
    {"setAlarm", native<os_set_alarm>},
    {"cancelAlarm", native<os_cancel_alarm>},
    {"clock", native<os_clock>},
    {"time", native<os_time>},
    {"day", native<os_day>},
    {"epoch", native<os_epoch>},
    {"date", native<os_date>},
    {"getComputerID", native<os_get_computer_id>},
    {"getComputerLabel", native<os_get_computer_label>},
    {"setComputerLabel", native<os_set_computer_label>},
    {"shutdown", native<os_shutdown>},
    {"reboot", native<os_reboot>},
};

}  // namespace

void open_os_api(lua_State* L) { register_global_api(L, "os", os_functions); }

}  // namespace redrund
