#pragma once

#include <span>
#include <string_view>

namespace redrund {

// A file of the read-only ROM compiled into the binary from lua/. Paths are relative to
// lua/ ("bios.lua", "rom/apis/rednet.lua"); a computer sees rom/ at /rom.
struct rom_entry {
  std::string_view path;
  std::string_view contents;
  std::string_view bytecode;  // Lua files: precompiled with the chunk name a computer would use
};

// All ROM files, sorted by path. Generated at build time (rom_files.cpp).
std::span<const rom_entry> rom_entries();

// One ROM file by path, or an empty view with found=false.
struct rom_lookup {
  bool found = false;
  std::string_view contents;
  std::string_view bytecode;
};
rom_lookup find_rom_file(std::string_view path);

}  // namespace redrund
