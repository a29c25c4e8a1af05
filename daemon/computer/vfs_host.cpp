#include "computer/vfs_host.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace redrund::vfs_detail {
namespace {

// Runs visit(child) on the subdirectory `name` of `dir` while `dir` is closed, then reopens
// `dir` through the child's "..", so a walk holds two descriptors whatever its depth. The
// ".." is `dir` again because walks only enter real subdirectories (O_NOFOLLOW); should the
// tree change underneath, the inode check fails and the walk stops.
template <typename Visit>
bool descend(unique_fd& dir, const std::string& name, Visit visit) {
  struct stat before {};
  if (::fstat(dir.get(), &before) != 0) return false;
  unique_fd child{::openat(dir.get(), name.c_str(), dir_flags)};
  if (!child) return false;
  dir.reset();
  const bool visited = visit(child);
  dir = unique_fd{child ? ::openat(child.get(), "..", dir_flags) : -1};
  struct stat after {};
  if (!dir || ::fstat(dir.get(), &after) != 0 || after.st_dev != before.st_dev ||
      after.st_ino != before.st_ino) {
    dir.reset();
    return false;
  }
  return visited;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::uint64_t charge(std::uint64_t size_bytes) {
  return std::max(size_bytes, vfs::entry_bytes_min);
}

std::string failure(std::string_view shown, std::string_view reason) {
  std::string message = "/";
  message.append(shown).append(": ").append(reason);
  return message;
}

const char* reason_of(int error) {
  switch (error) {
    case ENOENT: return "No such file";
    case EEXIST: return "File exists";
    case ENOTDIR: return "Not a directory";
    case ENOSPC: return "Out of space";
    default: return "Access denied";
  }
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    parts.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool is_rom_name(std::string_view name) { return lower(name) == "rom"; }

location make_location(std::string path) {
  location at;
  at.parts = split_path(path);
  at.path = std::move(path);
  at.on_rom = !at.parts.empty() && is_rom_name(at.parts.front());
  if (at.on_rom) {
    at.rom_key = "rom";
    for (std::size_t i = 1; i < at.parts.size(); ++i) at.rom_key.append("/").append(at.parts[i]);
  }
  return at;
}

location child_of(const location& at, const std::string& name) {
  return make_location(at.path.empty() ? name : at.path + "/" + name);
}

// Whether inner is outer or lies inside it, ignoring case (CC's FileSystem.contains).
bool contains(std::string_view outer, std::string_view inner) {
  const std::string a = lower(outer);
  const std::string b = lower(inner);
  if (a == b || a.empty()) return true;
  return b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/';
}

node_info stat_at(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  if (S_ISREG(st.st_mode)) return {node_kind::file, static_cast<std::uint64_t>(st.st_size)};
  if (S_ISDIR(st.st_mode)) return {node_kind::dir, 0};
  return {node_kind::other, 0};
}

std::vector<std::string> read_dir_names(int dir_fd) {
  std::vector<std::string> names;
  // A fresh descriptor: readdir's position belongs to the open file, which the caller keeps.
  const int own = ::openat(dir_fd, ".", dir_flags);
  if (own < 0) return names;
  DIR* dir = ::fdopendir(own);
  if (dir == nullptr) {
    ::close(own);
    return names;
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

bool read_fully(int fd, std::uint64_t offset, std::size_t count, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + count);
  std::size_t done = 0;
  while (done < count) {
    const ssize_t got = ::pread(fd, out.data() + start + done, count - done,
                                static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      out.resize(start + done);
      return got == 0;
    }
    done += static_cast<std::size_t>(got);
  }
  return true;
}

bool write_fully(int fd, std::uint64_t offset, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                                 static_cast<off_t>(offset + done));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    done += static_cast<std::size_t>(put);
  }
  return true;
}

bool copy_whole_file(int source, int target) {
  // In the kernel when it can (no copy through user space), in chunks when it cannot.
  loff_t in = 0;
  loff_t out = 0;
  for (;;) {
    const ssize_t copied = ::copy_file_range(source, &in, target, &out, copy_chunk_bytes, 0);
    if (copied == 0) return true;
    if (copied > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return false;
    break;
  }
  std::string chunk;
  for (auto offset = static_cast<std::uint64_t>(in);; offset += chunk.size()) {
    chunk.clear();
    if (!read_fully(source, offset, copy_chunk_bytes, chunk)) return false;
    if (chunk.empty()) return true;
    if (!write_fully(target, offset, chunk)) return false;
  }
}

std::uint64_t measure_dir(unique_fd& dir, int depth, leftover_versions leftovers) {
  std::uint64_t total = 0;
  if (depth > vfs::tree_depth_max) return total;
  for (const std::string& name : read_dir_names(dir.get())) {
    if (!dir) break;
    const node_info node = stat_at(dir.get(), name);
    if (node.kind == node_kind::file && is_new_version_name(name)) {
      if (leftovers == leftover_versions::remove) ::unlinkat(dir.get(), name.c_str(), 0);
      continue;
    }
    if (node.kind == node_kind::file) total += charge(node.size_bytes);
    if (node.kind != node_kind::dir) continue;
    total += vfs::entry_bytes_min;
    descend(dir, name, [&](unique_fd& child) {
      total += measure_dir(child, depth + 1, leftovers);
      return true;
    });
  }
  return total;
}

bool clear_dir(unique_fd& dir, int depth) {
  if (depth > vfs::tree_depth_max) return false;
  for (const std::string& name : read_dir_names(dir.get())) {
    const node_info node = stat_at(dir.get(), name);
    if (node.kind != node_kind::dir) {
      // Symlinks and other oddities are unlinked themselves, never followed.
      if (::unlinkat(dir.get(), name.c_str(), 0) != 0) return false;
      continue;
    }
    const bool cleared = descend(dir, name, [&](unique_fd& child) {
      return clear_dir(child, depth + 1);
    });
    if (!cleared || ::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) != 0) return false;
  }
  return true;
}

}  // namespace redrund::vfs_detail
