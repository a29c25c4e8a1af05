#include "computer/label.hpp"

#include <cstdint>

namespace redrund {
namespace {

// One character of a UTF-8 string: its code point and its length in bytes, or (when the
// bytes at that place are not valid UTF-8) one byte standing for itself.
struct utf8_char {
  char32_t code_point = 0;
  std::size_t length_bytes = 1;
  bool valid = false;
};

utf8_char next_char(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return {lead, 1, true};
  // The lead byte's high bits give the length; its low bits start the code point.
  std::size_t length_bytes = 0;
  if ((lead & 0xE0) == 0xC0) length_bytes = 2;
  else if ((lead & 0xF0) == 0xE0) length_bytes = 3;
  else if ((lead & 0xF8) == 0xF0) length_bytes = 4;
  else return {lead, 1, false};
  char32_t code_point = lead & (0x7Fu >> length_bytes);
  if (at + length_bytes > text.size()) return {lead, 1, false};
  for (std::size_t i = 1; i < length_bytes; ++i) {
    const auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xC0) != 0x80) return {lead, 1, false};
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  // The shortest form only, no surrogates, nothing past U+10FFFF (RFC 3629).
  constexpr char32_t shortest_min[] = {0, 0, 0x80, 0x800, 0x10000};
  const bool valid = code_point >= shortest_min[length_bytes] && code_point <= 0x10FFFF &&
                     !(code_point >= 0xD800 && code_point <= 0xDFFF);
  if (!valid) return {lead, 1, false};
  return {code_point, length_bytes, true};
}

// CC keeps the printable characters of its 8-bit character set (space to '~', and 161 to 255
// but the soft hyphen 173); C0 and C1 controls, DEL and the no-break space become '?'.
// Characters beyond 255, which CC's 8-bit strings cannot hold, are all printable here.
bool is_printable(char32_t code_point) {
  if (code_point >= 0x20 && code_point <= 0x7E) return true;
  if (code_point >= 0xA1 && code_point <= 0xFF) return code_point != 0xAD;
  return code_point > 0xFF;
}

}  // namespace

std::string normalise_label(std::string_view given) {
  constexpr std::string_view replacement_char = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
  std::string label;
  std::size_t chars = 0;
  for (std::size_t at = 0; at < given.size() && chars < label_chars_max; ++chars) {
    const utf8_char c = next_char(given, at);
    if (!c.valid) label.append(replacement_char);
    else if (is_printable(c.code_point)) label.append(given.substr(at, c.length_bytes));
    else label.push_back('?');
    at += c.length_bytes;
  }
  return label;
}

bool is_normal_label(std::string_view label) { return normalise_label(label) == label; }

}  // namespace redrund
