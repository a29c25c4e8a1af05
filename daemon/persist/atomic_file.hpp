#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace redrund {

// Replaces `path` with `contents` atomically: a temporary file in the same directory is
// written and fsynced, renamed over `path`, and the directory is fsynced, so a crash at any
// moment leaves either the old or the new file, never a torn one. Returns an error message.
std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// Appends `lines` to `path` (created if missing) and fsyncs it, so they are on disk before the
// caller goes on. Returns an error message.
std::optional<std::string> append_durably(const std::filesystem::path& path, std::string_view lines);

// Reads a whole file; nullopt if it cannot be read.
std::optional<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace redrund
