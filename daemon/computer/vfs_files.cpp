// vfs: open files, the new versions write handles write to (see vfs.hpp, "Whole files"), and
// copies, which are written the same way.

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "computer/rom.hpp"
#include "computer/vfs.hpp"
#include "computer/vfs_host.hpp"
#include "core/assert.hpp"

namespace redrund {
namespace {

using vfs_detail::charge;
using vfs_detail::child_of;
using vfs_detail::contains;
using vfs_detail::copy_chunk_bytes;
using vfs_detail::failure;
using vfs_detail::file_flags;
using vfs_detail::node_info;
using vfs_detail::node_kind;
using vfs_detail::read_fully;
using vfs_detail::reason_of;
using vfs_detail::split_path;
using vfs_detail::unique_fd;

constexpr std::size_t line_chunk_bytes = 4096;
constexpr const char* closed_message = "attempt to use a closed file";
// Names tried for a new version before giving up: one is only taken when a crashed run left
// it deeper than the start-up walk reaches (vfs::tree_depth_max).
constexpr int version_names_tried_max = 8;

// Whether `path` is `dir` or lies inside it, byte for byte (the host's view, not CC's).
bool is_under(std::string_view path, std::string_view dir) {
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

}  // namespace

std::optional<open_mode> parse_open_mode(std::string_view mode) {
  struct named_mode {
    std::string_view name;
    open_mode mode;
  };
  // Fields: read, write, create, truncate, append, binary.
  static constexpr named_mode modes[] = {
      {"r", {true, false, false, false, false, false}},
      {"rb", {true, false, false, false, false, true}},
      {"w", {false, true, true, true, false, false}},
      {"wb", {false, true, true, true, false, true}},
      {"a", {false, true, true, false, true, false}},
      {"ab", {false, true, true, false, true, true}},
      {"r+", {true, true, false, false, false, false}},
      {"r+b", {true, true, false, false, false, true}},
      {"w+", {true, true, true, true, false, false}},
      {"w+b", {true, true, true, true, false, true}},
  };
  for (const named_mode& candidate : modes) {
    if (candidate.name == mode) return candidate.mode;
  }
  return std::nullopt;
}

fs_status vfs::copy(std::string_view from_path, std::string_view to_path) {
  const auto to = resolve(to_path);
  if (!to.ok()) return {to.error};
  if (to.value.on_rom) return {failure(to.value.path, "Access denied")};
  const auto from = resolve(from_path);
  if (!from.ok()) return {from.error};
  if (!stat(from.value).exists()) return {failure(from.value.path, "No such file")};
  if (stat(to.value).exists()) return {failure(to.value.path, "File exists")};
  if (contains(from.value.path, to.value.path)) {
    return {failure(from.value.path, "Can't copy a directory inside itself")};
  }
  return copy_node(from.value, to.value, 0);
}

fs_status vfs::copy_node(const location& from, const location& to, int depth) {
  const node_info node = stat(from);
  if (!node.exists()) return {};
  if (depth >= copy_depth_max) return {"Too many directories to copy"};
  if (node.kind == node_kind::file) return copy_file(from, to);
  if (auto made = ensure_dirs(to.parts, to.parts.size(), to.path); !made.ok()) return made;
  for (const std::string& name : list_node(from)) {
    fs_status copied = copy_node(child_of(from, name), child_of(to, name), depth + 1);
    if (!copied.ok()) return copied;
  }
  return {};
}

// The copy is written as a new version of the target, so it appears whole or not at all.
fs_status vfs::copy_file(const location& from, const location& to) {
  std::string host_name;
  const auto target = create_version(to, true, host_name);
  if (!target.ok()) return {target.error};
  fs_status copied;
  if (from.on_rom) {
    copied = write_at(target.value.get(), 0, find_rom_file(from.rom_key).contents);
  } else if (const unique_fd source = open_regular(visible_parts(from.parts), O_RDONLY)) {
    std::string chunk;
    for (std::uint64_t offset = 0; copied.ok(); offset += chunk.size()) {
      chunk.clear();
      if (!read_fully(source.get(), offset, copy_chunk_bytes, chunk)) copied = {"Access denied"};
      else if (chunk.empty()) break;
      else copied = write_at(target.value.get(), offset, chunk);
    }
  } else {
    copied = {failure(from.path, "No such file")};
  }
  const unique_fd parent = open_dir(to.parts, to.parts.size() - 1);
  errno = EACCES;
  if (copied.ok() && parent &&
      ::renameat(parent.get(), host_name.c_str(), parent.get(), to.parts.back().c_str()) == 0) {
    return {};
  }
  if (copied.ok()) copied = {failure(to.path, reason_of(errno))};
  // Nothing of a failed copy is left, and its quota is given back.
  struct stat st {};
  if (::fstat(target.value.get(), &st) == 0) {
    used_bytes_ -= std::min(used_bytes_, charge(static_cast<std::uint64_t>(st.st_size)));
  }
  delete_version(to.parts, host_name);
  return copied;
}

fs_result<vfs::unique_fd> vfs::create_version(const location& at, bool is_new_file,
                                              std::string& host_name) {
  REDRUND_ASSERT(!at.on_rom && !at.parts.empty());
  const std::size_t parent_depth = at.parts.size() - 1;
  if (is_new_file) {
    if (auto made = ensure_dirs(at.parts, parent_depth, dir_of(at.path)); !made.ok()) {
      return {{}, made.error};
    }
    if (free_bytes() < entry_bytes_min) return {{}, failure(at.path, "Out of space")};
  }
  const unique_fd parent = open_dir(at.parts, parent_depth);
  errno = EACCES;
  for (int tried = 0; parent && tried < version_names_tried_max; ++tried) {
    std::string name = std::string(vfs_detail::new_version_prefix);
    name += std::to_string(next_version_serial_++);
    constexpr int create_flags = O_RDWR | O_CREAT | O_EXCL | file_flags;
    unique_fd file{::openat(parent.get(), name.c_str(), create_flags, 0644)};
    if (file) {
      // As CC's WritableFileMount.openFile, a new file costs entry_bytes_min at once.
      if (is_new_file) used_bytes_ += entry_bytes_min;
      host_name = std::move(name);
      return {std::move(file), {}};
    }
    if (errno != EEXIST) break;
  }
  return {{}, failure(at.path, reason_of(errno))};
}

void vfs::delete_version(const std::vector<std::string>& parts,
                         const std::string& host_name) const {
  if (const unique_fd parent = open_dir(parts, parts.size() - 1)) {
    ::unlinkat(parent.get(), host_name.c_str(), 0);
  }
}

// w and w+ start an empty new version at once (truncating, as CC's openForWrite); r+ and a
// copy the file into one at their first write. Truncating frees all but entry_bytes_min.
fs_status vfs::start_writing(const location& at, const open_mode& mode) {
  REDRUND_ASSERT(!at.on_rom && !at.parts.empty());
  const node_info seen = stat(at);
  if (seen.kind == node_kind::dir) {
    return {failure(at.path, mode.create ? "Cannot write to directory" : "Not a file")};
  }
  if (seen.kind == node_kind::other) return {failure(at.path, "Access denied")};
  if (seen.kind == node_kind::missing && !mode.create) return {failure(at.path, "No such file")};
  new_version& version = versions_[at.path];
  if (seen.kind == node_kind::file && !mode.truncate) {
    ++version.writers;
    return {};
  }
  std::string error;
  if (!version.host_name.empty()) {
    // Another handle writes a new version already: it is truncated, as a shared file would be.
    const unique_fd current = open_regular(visible_parts(at.parts), O_WRONLY);
    if (!current || ::ftruncate(current.get(), 0) != 0) error = failure(at.path, "Access denied");
  } else {
    const bool is_new_file = seen.kind == node_kind::missing;
    auto created = create_version(at, is_new_file, version.host_name);
    if (!created.ok()) error = std::move(created.error);
  }
  if (!error.empty()) {
    if (version.writers == 0 && version.host_name.empty()) versions_.erase(at.path);
    return {std::move(error)};
  }
  if (seen.kind == node_kind::file) {
    used_bytes_ -= std::min(used_bytes_, charge(seen.size_bytes) - entry_bytes_min);
  }
  ++version.writers;
  return {};
}

fs_result<vfs::unique_fd> vfs::version_for_writing(const open_file& file) {
  const auto found = versions_.find(file.path);
  REDRUND_ASSERT(found != versions_.end() && found->second.writers > 0);
  new_version& version = found->second;
  // Gone with a deleted directory, the bytes are dropped (an empty descriptor).
  if (!version.host_name.empty()) return {open_regular(visible_parts(file.parts), O_RDWR), {}};
  const unique_fd current = open_regular(file.parts, O_RDONLY);
  if (!current) return {};  // deleted or moved while open
  std::string host_name;
  const location at{file.path, file.parts, false, {}};
  auto created = create_version(at, false, host_name);
  if (!created.ok()) return created;
  if (!vfs_detail::copy_whole_file(current.get(), created.value.get())) {
    const int error = errno;
    delete_version(file.parts, host_name);
    return {{}, reason_of(error)};
  }
  version.host_name = std::move(host_name);
  return created;
}

fs_status vfs::replace_with_new_version(const std::string& path) {
  const auto found = versions_.find(path);
  if (found == versions_.end() || found->second.host_name.empty()) return {};
  const std::string host_name = std::exchange(found->second.host_name, {});
  const std::vector<std::string> parts = split_path(path);
  const unique_fd parent = open_dir(parts, parts.size() - 1);
  // Gone with its directory: there is nothing left to replace.
  if (!parent) return {};
  const char* name = parts.back().c_str();
  if (::renameat(parent.get(), host_name.c_str(), parent.get(), name) == 0) return {};
  const int error = errno;
  ::unlinkat(parent.get(), host_name.c_str(), 0);
  if (error == ENOENT) return {};
  // The computer sees the file as it was again; the quota follows what it sees.
  used_bytes_ = measure_used_bytes();
  return {failure(path, reason_of(error))};
}

void vfs::replace_all_under(const std::string& path) {
  for (const auto& [version_path, version] : versions_) {
    if (is_under(version_path, path)) replace_with_new_version(version_path);
  }
}

void vfs::discard_versions_under(const std::string& path) {
  for (auto& [version_path, version] : versions_) {
    if (!is_under(version_path, path) || version.host_name.empty()) continue;
    delete_version(split_path(version_path), version.host_name);
    version.host_name.clear();
  }
}

// Writes all the bytes at offset or none: growth beyond max(size, entry_bytes_min) is
// checked against the quota first, as CC's CountingChannel, then charged as it happened.
fs_status vfs::write_at(int fd, std::uint64_t offset, std::string_view bytes) {
  struct stat before {};
  if (::fstat(fd, &before) != 0) return {"Access denied"};
  const std::uint64_t charged = charge(static_cast<std::uint64_t>(before.st_size));
  std::uint64_t end = 0;
  if (__builtin_add_overflow(offset, bytes.size(), &end) ||
      end > static_cast<std::uint64_t>(LLONG_MAX)) {
    return {"Out of space"};
  }
  if (end > charged && end - charged > free_bytes()) return {"Out of space"};
  const bool written = vfs_detail::write_fully(fd, offset, bytes);
  const int error = errno;
  struct stat after {};
  if (::fstat(fd, &after) == 0) {
    const std::uint64_t now_charged = charge(static_cast<std::uint64_t>(after.st_size));
    if (now_charged > charged) used_bytes_ += now_charged - charged;
  }
  if (!written) return {reason_of(error)};
  return {};
}

fs_result<file_handle> vfs::open(std::string_view path, open_mode mode,
                                 std::size_t open_files_max) {
  const auto resolved = resolve(path);
  if (!resolved.ok()) return {0, resolved.error};
  const location& at = resolved.value;
  if (at.on_rom && mode.write) return {0, failure(at.path, "Access denied")};
  const node_info node = stat(at);
  if (node.kind == node_kind::dir) {
    return {0, failure(at.shown(), mode.create ? "Cannot write to directory" : "Not a file")};
  }
  if (node.kind != node_kind::file && !mode.create) return {0, failure(at.shown(), "No such file")};
  if (files_.size() >= open_files_max) return {0, "Too many files already open"};
  open_file file;
  file.mode = mode;
  file.on_rom = at.on_rom;
  if (at.on_rom) {
    file.rom_contents = find_rom_file(at.rom_key).contents;
  } else {
    file.path = at.path;
    file.parts = at.parts;
    if (mode.write) {
      fs_status started = start_writing(at, mode);
      if (!started.ok()) return {0, std::move(started.error)};
    }
  }
  const file_handle handle = next_handle_++;
  files_.emplace(handle, std::move(file));
  return {handle, {}};
}

vfs::open_file* vfs::find_file(file_handle handle) {
  const auto found = files_.find(handle);
  return found == files_.end() ? nullptr : &found->second;
}

std::string vfs::read_range(const open_file& file, std::uint64_t offset, std::size_t count_max,
                            std::uint64_t& size_bytes) const {
  std::string bytes;
  if (file.on_rom) {
    size_bytes = file.rom_contents.size();
    if (offset < size_bytes) bytes = file.rom_contents.substr(offset, count_max);
    return bytes;
  }
  size_bytes = 0;
  const unique_fd fd = open_regular(visible_parts(file.parts), O_RDONLY);
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) return bytes;
  size_bytes = static_cast<std::uint64_t>(st.st_size);
  if (offset >= size_bytes) return bytes;
  const std::uint64_t count = std::min<std::uint64_t>(count_max, size_bytes - offset);
  read_fully(fd.get(), offset, static_cast<std::size_t>(count), bytes);
  return bytes;
}

fs_result<std::optional<std::string>> vfs::read(file_handle handle, std::size_t count_max) {
  open_file* file = find_file(handle);
  if (file == nullptr || !file->mode.read) return {std::nullopt, closed_message};
  std::uint64_t size_bytes = 0;
  std::string bytes = read_range(*file, file->position, count_max, size_bytes);
  if (file->position >= size_bytes) return {std::nullopt, {}};
  file->position += bytes.size();
  return {std::move(bytes), {}};
}

fs_result<std::optional<std::string>> vfs::read_line(file_handle handle, bool with_trailing) {
  open_file* file = find_file(handle);
  if (file == nullptr || !file->mode.read) return {std::nullopt, closed_message};
  std::string line;
  std::uint64_t size_bytes = 0;
  std::uint64_t offset = file->position;
  bool newline = false;
  while (!newline) {
    const std::string chunk = read_range(*file, offset, line_chunk_bytes, size_bytes);
    if (chunk.empty()) break;
    const std::size_t end = chunk.find('\n');
    newline = end != std::string::npos;
    line.append(chunk, 0, newline ? end : chunk.size());
    offset += newline ? end + 1 : chunk.size();
  }
  if (offset == file->position) return {std::nullopt, {}};
  file->position = offset;
  // CC drops the "\r" of a "\r\n" too, unless the separator is kept.
  if (newline && with_trailing) line.push_back('\n');
  else if (newline && !line.empty() && line.back() == '\r') line.pop_back();
  return {std::move(line), {}};
}

fs_result<std::string> vfs::read_all(file_handle handle) {
  open_file* file = find_file(handle);
  if (file == nullptr || !file->mode.read) return {{}, closed_message};
  std::uint64_t size_bytes = 0;
  std::string bytes = read_range(*file, file->position, SIZE_MAX, size_bytes);
  file->position += bytes.size();
  return {std::move(bytes), {}};
}

fs_status vfs::write(file_handle handle, std::string_view bytes) {
  open_file* file = find_file(handle);
  if (file == nullptr || !file->mode.write) return {closed_message};
  auto version = version_for_writing(*file);
  if (!version.ok()) return {std::move(version.error)};
  // Deleted while open: like an unlinked file, it swallows the bytes.
  if (!version.value) {
    file->position += bytes.size();
    return {};
  }
  std::uint64_t offset = file->position;
  struct stat st {};
  if (file->mode.append && ::fstat(version.value.get(), &st) == 0) {
    offset = static_cast<std::uint64_t>(st.st_size);
  }
  fs_status status = write_at(version.value.get(), offset, bytes);
  if (status.ok()) file->position = offset + bytes.size();
  return status;
}

fs_result<std::optional<std::uint64_t>> vfs::seek(file_handle handle, seek_origin origin,
                                                  std::int64_t offset) {
  open_file* file = find_file(handle);
  if (file == nullptr) return {std::nullopt, closed_message};
  std::uint64_t base = 0;
  if (origin == seek_origin::current) base = file->position;
  if (origin == seek_origin::end) read_range(*file, 0, 0, base);
  std::int64_t target = 0;
  if (base > static_cast<std::uint64_t>(LLONG_MAX) ||
      __builtin_add_overflow(static_cast<std::int64_t>(base), offset, &target) || target < 0) {
    return {std::nullopt, {}};
  }
  file->position = static_cast<std::uint64_t>(target);
  return {file->position, {}};
}

fs_status vfs::flush(file_handle handle) {
  const open_file* file = find_file(handle);
  if (file == nullptr) return {closed_message};
  if (!file->mode.write) return {};
  return replace_with_new_version(file->path);
}

fs_status vfs::close(file_handle handle) {
  const auto found = files_.find(handle);
  if (found == files_.end()) return {closed_message};
  fs_status status;
  if (found->second.mode.write) {
    const std::string path = found->second.path;
    status = replace_with_new_version(path);
    const auto version = versions_.find(path);
    if (version != versions_.end() && --version->second.writers == 0) versions_.erase(version);
  }
  files_.erase(found);
  return status;
}

void vfs::close_all() {
  // What was written so far is kept, as when each handle is closed.
  for (const auto& [path, version] : versions_) replace_with_new_version(path);
  versions_.clear();
  files_.clear();
}

}  // namespace redrund
