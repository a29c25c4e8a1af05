// CC's fs API: a thin binding over vfs (computer/vfs.hpp), which does all the work.
//
// File handles are tables of closures sharing one userdata "box" as their upvalue; the box
// records the vfs handle, and its __gc closes the file when the handle is collected or the
// Lua state closes.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "computer/api/apis.hpp"
#include "computer/api/binding.hpp"
#include "computer/computer.hpp"
#include "computer/vfs.hpp"

namespace redrund {
namespace {

// Results wait here before they are pushed, never in a binding's frame: pushing can raise a
// memory error, and its longjmp must not skip a destructor. Pushing never re-enters Lua, so
// one set per (sim) thread is enough.
struct staging {
  std::string error;
  std::string text;
  std::optional<std::string> maybe_text;
  std::optional<std::string> other_text;
  std::vector<std::string> names;
  std::vector<std::string_view> parts;
  fs_attributes attributes;
  std::uint64_t number = 0;
  std::optional<std::uint64_t> maybe_number;
  file_handle handle = 0;
};
thread_local staging staged;

// Moves a result into `staged`, so the temporary dies before anything can raise.
template <typename T>
bool stage(fs_result<T>&& result, T& out) {
  staged.error = std::move(result.error);
  out = std::move(result.value);
  return staged.error.empty();
}

bool stage(fs_status&& status) {
  staged.error = std::move(status.error);
  return staged.error.empty();
}

[[noreturn]] void raise_staged(lua_State* L) { raise_error(L, staged.error); }

vfs& files_of(lua_State* L) { return computer_of(L).files(); }

std::optional<std::int64_t> opt_integer(lua_State* L, int arg) {
  if (lua_isnoneornil(L, arg)) return std::nullopt;
  return check_integer(L, arg);
}

void push_names(lua_State* L, const std::vector<std::string>& names) {
  lua_createtable(L, static_cast<int>(std::min<std::size_t>(names.size(), INT32_MAX)), 0);
  for (std::size_t i = 0; i < names.size(); ++i) {
    push_string(L, names[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

void push_maybe_text(lua_State* L, const std::optional<std::string>& text) {
  if (text) push_string(L, *text);
  else lua_pushnil(L);
}

// --- fs.* ---------------------------------------------------------------------------------

int fs_list(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).list(path), staged.names)) raise_staged(L);
  push_names(L, staged.names);
  return 1;
}

int fs_find(lua_State* L) {
  const std::string_view pattern = check_string(L, 1);
  if (!stage(files_of(L).find(pattern), staged.names)) raise_staged(L);
  push_names(L, staged.names);
  return 1;
}

int fs_exists(lua_State* L) {
  lua_pushboolean(L, files_of(L).exists(check_string(L, 1)));
  return 1;
}

int fs_is_dir(lua_State* L) {
  lua_pushboolean(L, files_of(L).is_dir(check_string(L, 1)));
  return 1;
}

int fs_is_read_only(lua_State* L) {
  lua_pushboolean(L, files_of(L).is_read_only(check_string(L, 1)));
  return 1;
}

int fs_get_size(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).size_of(path), staged.number)) raise_staged(L);
  lua_pushinteger(L, static_cast<lua_Integer>(staged.number));
  return 1;
}

int fs_get_free_space(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).free_space_bytes(path), staged.number)) raise_staged(L);
  lua_pushinteger(L, static_cast<lua_Integer>(staged.number));
  return 1;
}

int fs_get_capacity(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).capacity_bytes(path), staged.maybe_number)) raise_staged(L);
  if (staged.maybe_number) lua_pushinteger(L, static_cast<lua_Integer>(*staged.maybe_number));
  else lua_pushnil(L);
  return 1;
}

int fs_get_drive(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).drive_of(path), staged.maybe_text)) raise_staged(L);
  push_maybe_text(L, staged.maybe_text);
  return 1;
}

// CC's rom/apis/fs.lua isDriveRoot, natively: the root, or a path on another drive than its
// parent (so a missing path counts as a drive root there too).
int fs_is_drive_root(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  staged.text = vfs::dir_of(path);
  if (staged.text == "..") {
    lua_pushboolean(L, 1);
    return 1;
  }
  if (!stage(files_of(L).drive_of(path), staged.maybe_text)) raise_staged(L);
  if (!stage(files_of(L).drive_of(staged.text), staged.other_text)) raise_staged(L);
  lua_pushboolean(L, staged.maybe_text != staged.other_text);
  return 1;
}

int fs_get_attributes(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).attributes(path), staged.attributes)) raise_staged(L);
  const fs_attributes& found = staged.attributes;
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, static_cast<lua_Integer>(found.size_bytes));
  lua_setfield(L, -2, "size");
  lua_pushboolean(L, found.is_dir);
  lua_setfield(L, -2, "isDir");
  lua_pushboolean(L, found.is_read_only);
  lua_setfield(L, -2, "isReadOnly");
  lua_pushinteger(L, found.created_ms);
  lua_setfield(L, -2, "created");
  lua_pushinteger(L, found.modified_ms);
  lua_setfield(L, -2, "modified");
  lua_pushinteger(L, found.modified_ms);
  lua_setfield(L, -2, "modification");
  return 1;
}

int fs_make_dir(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).make_dir(path))) raise_staged(L);
  return 0;
}

int fs_delete(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  if (!stage(files_of(L).remove(path))) raise_staged(L);
  return 0;
}

int fs_move(lua_State* L) {
  const std::string_view from = check_string(L, 1);
  const std::string_view to = check_string(L, 2);
  if (!stage(files_of(L).move(from, to))) raise_staged(L);
  return 0;
}

int fs_copy(lua_State* L) {
  const std::string_view from = check_string(L, 1);
  const std::string_view to = check_string(L, 2);
  if (!stage(files_of(L).copy(from, to))) raise_staged(L);
  return 0;
}

int fs_combine(lua_State* L) {
  const int count = std::max(lua_gettop(L), 1);
  staged.parts.clear();
  for (int i = 1; i <= count; ++i) staged.parts.push_back(check_string(L, i));
  staged.text = vfs::combine(staged.parts);
  push_string(L, staged.text);
  return 1;
}

int fs_get_name(lua_State* L) {
  staged.text = vfs::name_of(check_string(L, 1));
  push_string(L, staged.text);
  return 1;
}

int fs_get_dir(lua_State* L) {
  staged.text = vfs::dir_of(check_string(L, 1));
  push_string(L, staged.text);
  return 1;
}

// --- file handles -------------------------------------------------------------------------

// The userdata every function of one handle holds as its upvalue. It lives in Lua, so it
// must stay trivially destructible.
struct handle_box {
  file_handle id = 0;
  bool open = false;
  bool binary = false;
};
static_assert(std::is_trivially_destructible_v<handle_box>);

// Registry key of the boxes' metatable: this variable's address.
const char handle_metatable_key = 0;

handle_box* new_handle_box(lua_State* L, bool binary) {
  void* memory = lua_newuserdatauv(L, sizeof(handle_box), 0);
  auto* box = new (memory) handle_box{0, false, binary};
  lua_rawgetp(L, LUA_REGISTRYINDEX, &handle_metatable_key);
  lua_setmetatable(L, -2);
  return box;
}

// The box at `index`, or nullptr for any other value: debug.setupvalue can put anything in
// a handle function's upvalue.
handle_box* to_box(lua_State* L, int index) {
  void* data = lua_touserdata(L, index);
  if (data == nullptr || !lua_getmetatable(L, index)) return nullptr;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &handle_metatable_key);
  const bool ours = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 2);
  return ours ? static_cast<handle_box*>(data) : nullptr;
}

handle_box& open_box(lua_State* L) {
  handle_box* box = to_box(L, lua_upvalueindex(1));
  if (box == nullptr || !box->open) raise_error(L, "attempt to use a closed file");
  return *box;
}

int handle_gc(lua_State* L) {
  handle_box* box = to_box(L, 1);
  if (box != nullptr && box->open) {
    box->open = false;
    files_of(L).close(box->id);
  }
  return 0;
}

int handle_close(lua_State* L) {
  handle_box& box = open_box(L);
  box.open = false;
  files_of(L).close(box.id);
  return 0;
}

int handle_read(lua_State* L) {
  const std::optional<std::int64_t> count = opt_integer(L, 1);
  const handle_box& box = open_box(L);
  if (count && *count < 0) raise_error(L, "Cannot read a negative number of bytes");
  const auto count_max = static_cast<std::size_t>(count.value_or(1));
  if (!stage(files_of(L).read(box.id, count_max), staged.maybe_text)) raise_staged(L);
  // In binary mode, read() without a count gives the byte as a number.
  if (box.binary && !count && staged.maybe_text && !staged.maybe_text->empty()) {
    lua_pushinteger(L, static_cast<unsigned char>(staged.maybe_text->front()));
  } else {
    push_maybe_text(L, staged.maybe_text);
  }
  return 1;
}

int handle_read_line(lua_State* L) {
  const bool with_trailing = opt_boolean(L, 1).value_or(false);
  const handle_box& box = open_box(L);
  if (!stage(files_of(L).read_line(box.id, with_trailing), staged.maybe_text)) raise_staged(L);
  push_maybe_text(L, staged.maybe_text);
  return 1;
}

int handle_read_all(lua_State* L) {
  const handle_box& box = open_box(L);
  if (!stage(files_of(L).read_all(box.id), staged.text)) raise_staged(L);
  push_string(L, staged.text);
  return 1;
}

// CC converts a number with Java's intValue (truncating, saturating) and keeps 8 bits.
char byte_of(lua_State* L, int index) {
  if (lua_isinteger(L, index)) return static_cast<char>(lua_tointeger(L, index) & 0xFF);
  const double value = lua_tonumber(L, index);
  if (std::isnan(value)) return 0;
  const double whole = std::clamp(std::trunc(value), -2147483648.0, 2147483647.0);
  return static_cast<char>(static_cast<std::int32_t>(whole) & 0xFF);
}

// write and writeLine: strings and everything else as tostring shows them, except that in
// binary mode write(number) writes that one byte.
int write_value(lua_State* L, bool newline) {
  const handle_box& box = open_box(L);
  lua_settop(L, 1);  // write() with no value writes "nil", as CC's coercion does
  if (!newline && box.binary && lua_type(L, 1) == LUA_TNUMBER) {
    staged.text.assign(1, byte_of(L, 1));
  } else {
    std::size_t length = 0;
    const char* text = luaL_tolstring(L, 1, &length);
    staged.text.assign(text, length);
    if (newline) staged.text.push_back('\n');
  }
  // A __tostring may have closed the handle meanwhile; vfs then says so.
  if (!stage(files_of(L).write(box.id, staged.text))) raise_staged(L);
  return 0;
}

int handle_write(lua_State* L) { return write_value(L, false); }
int handle_write_line(lua_State* L) { return write_value(L, true); }

// Replaces the file on the host with what was written so far (vfs.hpp, "Whole files").
int handle_flush(lua_State* L) {
  const handle_box& box = open_box(L);
  if (!stage(files_of(L).flush(box.id))) raise_staged(L);
  return 0;
}

int handle_seek(lua_State* L) {
  const std::optional<std::string_view> whence = opt_string(L, 1);
  const std::int64_t offset = opt_integer(L, 2).value_or(0);
  const handle_box& box = open_box(L);
  seek_origin origin = seek_origin::current;
  if (whence && *whence == "set") origin = seek_origin::set;
  else if (whence && *whence == "end") origin = seek_origin::end;
  else if (whence && *whence != "cur") {
    luaL_error(L, "bad argument #1 to 'seek' (invalid option '%s')", whence->data());
  }
  if (!stage(files_of(L).seek(box.id, origin, offset), staged.maybe_number)) raise_staged(L);
  if (!staged.maybe_number) {
    lua_pushnil(L);
    lua_pushliteral(L, "Position is negative");
    return 2;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(*staged.maybe_number));
  return 1;
}

constexpr native_function read_methods[] = {
    {"read", native<handle_read>}, {"readLine", native<handle_read_line>}, {"readAll", native<handle_read_all>}};
constexpr native_function write_methods[] = {
    {"write", native<handle_write>}, {"writeLine", native<handle_write_line>}, {"flush", native<handle_flush>}};

void add_method(lua_State* L, int box_index, const native_function& method) {
  lua_pushvalue(L, box_index);
  lua_pushcclosure(L, method.entry.function, 1);
  lua_setfield(L, -2, method.name);
}

// The handle table for the box at box_index: CC gives each mode only its own methods, and
// append handles cannot seek. [-0, +1]
void push_handle(lua_State* L, int box_index, const open_mode& mode) {
  lua_createtable(L, 0, 8);
  add_method(L, box_index, {"close", native<handle_close>});
  if (mode.read) {
    for (const native_function& method : read_methods) add_method(L, box_index, method);
  }
  if (mode.write) {
    for (const native_function& method : write_methods) add_method(L, box_index, method);
  }
  if (!mode.append) add_method(L, box_index, {"seek", native<handle_seek>});
}

// fs.open returns nil and CC's message when the file cannot be opened; only a bad mode raises.
int fs_open(lua_State* L) {
  const std::string_view path = check_string(L, 1);
  const std::optional<open_mode> mode = parse_open_mode(check_string(L, 2));
  if (!mode) raise_error(L, "Unsupported mode");
  lua_settop(L, 2);
  // The box exists before the file is opened: should building the handle run out of
  // memory, its __gc still closes the file.
  handle_box* box = new_handle_box(L, mode->binary);
  computer& self = computer_of(L);
  if (!stage(self.files().open(path, *mode, self.limits().open_files_max), staged.handle)) {
    lua_pushnil(L);
    push_string(L, staged.error);
    return 2;
  }
  box->id = staged.handle;
  box->open = true;
  push_handle(L, 3, *mode);
  return 1;
}

constexpr native_function fs_functions[] = {
    {"list", native<fs_list>},
    {"exists", native<fs_exists>},
    {"isDir", native<fs_is_dir>},
    {"isReadOnly", native<fs_is_read_only>},
    {"getSize", native<fs_get_size>},
    {"getFreeSpace", native<fs_get_free_space>},
    {"getCapacity", native<fs_get_capacity>},
    {"makeDir", native<fs_make_dir>},
    {"move", native<fs_move>},
    {"copy", native<fs_copy>},
    {"delete", native<fs_delete>},
    {"combine", native<fs_combine>},
    {"getName", native<fs_get_name>},
    {"getDir", native<fs_get_dir>},
    {"find", native<fs_find>},
    {"attributes", native<fs_get_attributes>},
    {"open", native<fs_open>},
    {"getDrive", native<fs_get_drive>},
    {"isDriveRoot", native<fs_is_drive_root>},
};

}  // namespace

void open_fs_api(lua_State* L) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, handle_gc);
  lua_setfield(L, -2, "__gc");
  // getmetatable(box) gives false, so Lua code cannot call __gc itself.
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &handle_metatable_key);
  register_global_api(L, "fs", fs_functions);
}

}  // namespace redrund
