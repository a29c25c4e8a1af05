#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace redrund::proto {

// True when `bytes` is well-formed UTF-8 as RFC 3629 defines it (no overlong forms, no
// surrogates, nothing past U+10FFFF): exactly the strings a JSON text can carry, and the
// ones nlohmann::json::dump accepts without replacing bytes.
bool is_valid_utf8(std::string_view bytes);

// Standard base64 (RFC 4648 alphabet) with '=' padding.
std::string base64_encode(std::string_view bytes);

// Decodes standard base64; padding is optional, anything outside the alphabet (whitespace
// included) is refused. std::nullopt when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace redrund::proto
