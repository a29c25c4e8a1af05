#include "computer/rom.hpp"

#include <algorithm>

namespace redrund {

rom_lookup find_rom_file(std::string_view path) {
  const auto entries = rom_entries();
  const auto found = std::lower_bound(entries.begin(), entries.end(), path,
                                      [](const rom_entry& e, std::string_view p) { return e.path < p; });
  if (found == entries.end() || found->path != path) return {};
  return {true, found->contents, found->bytecode};
}

}  // namespace redrund
