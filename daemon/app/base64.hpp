#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace redrund {

// Decodes standard base64 (RFC 4648 alphabet, '=' padding optional); std::nullopt when the
// text is not base64. Used for binary files in scenarios.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace redrund
