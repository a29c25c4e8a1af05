#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace redrund {

// Compiles `source` as a text chunk named `chunk_name` in a scratch Lua state and returns the
// compiler's message if it does not compile. Lua-free interface for the command line.
std::optional<std::string> check_syntax(std::string_view source, std::string_view chunk_name);

}  // namespace redrund
