// The native terminal: CC's term methods over the headless terminal.

#include <algorithm>
#include <bit>
#include <cmath>

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/computer.hpp"

namespace redrund {
namespace {

terminal& term_of(lua_State* L) { return computer_of(L).term(); }

// CC colours are the bits 1..32768. As CC, a number with several bits set takes its highest
// (3 is orange); below 1 or past 0xFFFF is "Colour out of range".
int check_colour_bit(lua_State* L, int arg) {
  const std::int64_t colour = check_integer(L, arg);
  if (colour <= 0 || colour > 0xFFFF) raise_error(L, "Colour out of range");
  return static_cast<int>(std::bit_width(static_cast<std::uint64_t>(colour))) - 1;
}

int term_write(lua_State* L) {
  std::size_t length = 0;
  const char* text = lua_isnone(L, 1) ? "" : luaL_tolstring(L, 1, &length);
  term_of(L).write({text, length});
  return 0;
}

int term_blit(lua_State* L) {
  const auto text = check_string(L, 1);
  const auto foreground = check_string(L, 2);
  const auto background = check_string(L, 3);
  if (foreground.size() != text.size() || background.size() != text.size())
    raise_error(L, "Arguments must be the same length");
  term_of(L).write(text);
  return 0;
}

int term_clear(lua_State* L) {
  term_of(L).clear();
  return 0;
}

int term_clear_line(lua_State* L) {
  term_of(L).clear_line();
  return 0;
}

int term_get_cursor_pos(lua_State* L) {
  lua_pushinteger(L, term_of(L).cursor_x());
  lua_pushinteger(L, term_of(L).cursor_y());
  return 2;
}

int term_set_cursor_pos(lua_State* L) {
  const auto x = check_integer(L, 1);
  const auto y = check_integer(L, 2);
  term_of(L).set_cursor(static_cast<int>(std::clamp<std::int64_t>(x, -1'000'000, 1'000'000)),
                        static_cast<int>(std::clamp<std::int64_t>(y, -1'000'000, 1'000'000)));
  return 0;
}

int term_get_cursor_blink(lua_State* L) {
  lua_pushboolean(L, term_of(L).cursor_blink());
  return 1;
}

int term_set_cursor_blink(lua_State* L) {
  term_of(L).set_cursor_blink(check_boolean(L, 1));
  return 0;
}

int term_get_size(lua_State* L) {
  lua_pushinteger(L, term_of(L).width());
  lua_pushinteger(L, term_of(L).height());
  return 2;
}

int term_scroll(lua_State* L) {
  term_of(L).scroll(static_cast<int>(std::clamp<std::int64_t>(check_integer(L, 1), -1'000'000, 1'000'000)));
  return 0;
}

int term_is_colour(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int term_get_text_colour(lua_State* L) {
  lua_pushinteger(L, term_of(L).text_colour());
  return 1;
}

int term_set_text_colour(lua_State* L) {
  term_of(L).set_text_colour(1u << check_colour_bit(L, 1));
  return 0;
}

int term_get_background_colour(lua_State* L) {
  lua_pushinteger(L, term_of(L).background_colour());
  return 1;
}

int term_set_background_colour(lua_State* L) {
  term_of(L).set_background_colour(1u << check_colour_bit(L, 1));
  return 0;
}

int push_rgb(lua_State* L, std::uint32_t rgb) {
  lua_pushnumber(L, ((rgb >> 16) & 0xFF) / 255.0);
  lua_pushnumber(L, ((rgb >> 8) & 0xFF) / 255.0);
  lua_pushnumber(L, (rgb & 0xFF) / 255.0);
  return 3;
}

int term_get_palette_colour(lua_State* L) {
  return push_rgb(L, term_of(L).palette(check_colour_bit(L, 1)));
}

int term_native_palette_colour(lua_State* L) {
  return push_rgb(L, terminal::default_palette(check_colour_bit(L, 1)));
}

std::uint32_t channel_byte(double fraction) {
  return static_cast<std::uint32_t>(std::lround(std::clamp(fraction, 0.0, 1.0) * 255.0));
}

int term_set_palette_colour(lua_State* L) {
  const int index = check_colour_bit(L, 1);
  std::uint32_t rgb;
  if (lua_gettop(L) <= 2) {
    rgb = static_cast<std::uint32_t>(check_integer(L, 2)) & 0xFFFFFF;
  } else {
    rgb = (channel_byte(check_number(L, 2)) << 16) | (channel_byte(check_number(L, 3)) << 8) |
          channel_byte(check_number(L, 4));
  }
  term_of(L).set_palette(index, rgb);
  return 0;
}

constexpr native_function term_functions[] = {
    {"write", native<term_write>},
    {"blit", native<term_blit>},
    {"clear", native<term_clear>},
    {"clearLine", native<term_clear_line>},
    {"getCursorPos", native<term_get_cursor_pos>},
    {"setCursorPos", native<term_set_cursor_pos>},
    {"getCursorBlink", native<term_get_cursor_blink>},
    {"setCursorBlink", native<term_set_cursor_blink>},
    {"getSize", native<term_get_size>},
    {"scroll", native<term_scroll>},
    {"isColour", native<term_is_colour>},
    {"isColor", native<term_is_colour>},
    {"getTextColour", native<term_get_text_colour>},
    {"getTextColor", native<term_get_text_colour>},
    {"setTextColour", native<term_set_text_colour>},
    {"setTextColor", native<term_set_text_colour>},
    {"getBackgroundColour", native<term_get_background_colour>},
    {"getBackgroundColor", native<term_get_background_colour>},
    {"setBackgroundColour", native<term_set_background_colour>},
    {"setBackgroundColor", native<term_set_background_colour>},
    {"getPaletteColour", native<term_get_palette_colour>},
    {"getPaletteColor", native<term_get_palette_colour>},
    {"setPaletteColour", native<term_set_palette_colour>},
    {"setPaletteColor", native<term_set_palette_colour>},
    {"nativePaletteColour", native<term_native_palette_colour>},
    {"nativePaletteColor", native<term_native_palette_colour>},
};

}  // namespace

void open_term_api(lua_State* L) { register_global_api(L, "term", term_functions); }

}  // namespace redrund
