#pragma once

// Helpers for the RedRun / transfer world tests: binary test data and reading a computer's
// files from the host side (what a computer wrote, without trusting its own Lua).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "computer/computer.hpp"
#include "computer/vfs.hpp"

namespace redrund::testing {

// `size` bytes in which every byte value occurs (a pattern that is not periodic in 256,
// so a misplaced chunk is caught too).
inline std::string all_bytes(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 256 + i / 8192) & 0xFF);
  return data;
}

// CRC-32 (IEEE 802.3), as redrun.transfer computes it, for planting a matching .part.meta.
inline std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const unsigned char byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// The whole file at `path` on computer `c`, or nullopt if it does not exist.
inline std::optional<std::string> read_file(computer& c, const std::string& path) {
  if (!c.files().exists(path) || c.files().is_dir(path)) return std::nullopt;
  const auto opened = c.files().open(path, *parse_open_mode("rb"), 1024);
  if (!opened.ok()) return std::nullopt;
  const auto text = c.files().read_all(opened.value);
  c.files().close(opened.value);
  return text.ok() ? std::optional<std::string>(text.value) : std::nullopt;
}

// Writes `data` to `path` on computer `c` (before or between runs).
inline bool write_file(computer& c, const std::string& path, const std::string& data) {
  const auto opened = c.files().open(path, *parse_open_mode("wb"), 1024);
  if (!opened.ok()) return false;
  const bool ok = c.files().write(opened.value, data).ok();
  c.files().close(opened.value);
  return ok;
}

inline std::size_t file_size(computer& c, const std::string& path) {
  const auto size = c.files().size_of(path);
  return size.ok() ? static_cast<std::size_t>(size.value) : 0;
}

}  // namespace redrund::testing
