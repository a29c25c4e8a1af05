#include "proto/text_encoding.hpp"

#include <array>
#include <cstdint>

namespace redrund::proto {
namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Sextet per byte, or -1 for bytes outside the alphabet.
constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < base64_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr std::array<std::int8_t, 256> base64_table = make_base64_table();

// The allowed range of the second byte of a sequence led by `lead` (RFC 3629 §4): the
// narrowed ranges are what exclude overlong forms, surrogates and code points past U+10FFFF.
struct second_byte_range {
  unsigned char low;
  unsigned char high;
};
constexpr second_byte_range second_range(unsigned char lead) {
  switch (lead) {
    case 0xE0: return {0xA0, 0xBF};
    case 0xED: return {0x80, 0x9F};
    case 0xF0: return {0x90, 0xBF};
    case 0xF4: return {0x80, 0x8F};
    default: return {0x80, 0xBF};
  }
}

// Number of bytes in the sequence led by `lead`; 0 when `lead` cannot start one.
constexpr std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    const std::size_t length = sequence_length(lead);
    if (length == 0 || bytes.size() - i < length) return false;
    if (length > 1) {
      const auto second = static_cast<unsigned char>(bytes[i + 1]);
      const second_byte_range range = second_range(lead);
      if (second < range.low || second > range.high) return false;
      for (std::size_t k = 2; k < length; ++k) {
        const auto next = static_cast<unsigned char>(bytes[i + k]);
        if (next < 0x80 || next > 0xBF) return false;
      }
    }
    i += length;
  }
  return true;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                                static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                                static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += base64_alphabet[group >> shift & 0x3F];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out += base64_alphabet[group >> 18 & 0x3F];
  out += base64_alphabet[group >> 12 & 0x3F];
  out += rest == 2 ? base64_alphabet[group >> 6 & 0x3F] : '=';
  out += '=';
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // Padding, when present, completes the last group of four: at most two '=' at the end.
  const std::size_t unpadded = text.find_last_not_of('=') + 1;  // npos + 1 == 0: all '='
  const std::size_t padding = text.size() - unpadded;
  if (padding > 2 || (padding > 0 && text.size() % 4 != 0)) return std::nullopt;
  text.remove_suffix(padding);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t group = 0;
  int bits = 0;
  for (const char c : text) {
    const std::int8_t sextet = base64_table[static_cast<unsigned char>(c)];
    if (sextet < 0) return std::nullopt;
    group = group << 6 | static_cast<std::uint32_t>(sextet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(group >> bits & 0xFF);
    }
  }
  return out;
}

}  // namespace redrund::proto
