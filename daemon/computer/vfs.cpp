#include "computer/vfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <system_error>
#include <utility>

#include "computer/rom.hpp"
#include "core/assert.hpp"

// fs.attributes reports 0 for both timestamps: host times differ between runs (files the
// host copies in carry them too), and a replayed run must see exactly what the first saw.

namespace redrund {
namespace vfs_detail {

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~unique_fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

enum class node_kind : std::uint8_t { missing, file, dir, other };

struct node_info {
  node_kind kind = node_kind::missing;
  std::uint64_t size_bytes = 0;
  // Only regular files and directories exist for the computer.
  bool exists() const { return kind == node_kind::file || kind == node_kind::dir; }
};

struct location {
  std::string path;                // sanitised; messages show "/" + path
  std::vector<std::string> parts;  // path split at '/': never "", "." or ".."
  bool on_rom = false;             // under /rom, matched ignoring case as CC's mounts are
  std::string rom_key;             // the rom_entries() path ("rom/apis/x.lua") when on_rom

  // CC names errors found inside the ROM mount by the mount's own spelling, "rom".
  const std::string& shown() const { return on_rom ? rom_key : path; }
};

}  // namespace vfs_detail

namespace {

using vfs_detail::location;
using vfs_detail::node_info;
using vfs_detail::node_kind;
using vfs_detail::unique_fd;

constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// O_NONBLOCK so that nothing ever waits on a fifo; regular files ignore it.
constexpr int file_flags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
constexpr std::size_t copy_chunk_bytes = 64 * 1024;
constexpr std::size_t line_chunk_bytes = 4096;
// CC cuts longer path segments; it is also Linux's NAME_MAX.
constexpr std::size_t segment_bytes_max = 255;
constexpr const char* closed_message = "attempt to use a closed file";

std::uint64_t charge(std::uint64_t size_bytes) {
  return std::max(size_bytes, vfs::entry_bytes_min);
}

std::string failure(std::string_view shown, std::string_view reason) {
  std::string message = "/";
  message.append(shown).append(": ").append(reason);
  return message;
}

// CC's wording for a failed host call.
const char* reason_of(int error) {
  switch (error) {
    case ENOENT: return "No such file";
    case EEXIST: return "File exists";
    case ENOTDIR: return "Not a directory";
    case ENOSPC: return "Out of space";
    default: return "Access denied";
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_rom_name(std::string_view name) { return lower(name) == "rom"; }

// CC drops control characters and "\":<>|", and "*?" unless wildcards are allowed.
bool is_dropped(unsigned char c, bool allow_wildcards) {
  if (c < 32) return true;
  switch (c) {
    case '"': case ':': case '<': case '>': case '|': return true;
    case '*': case '?': return !allow_wildcards;
    default: return false;
  }
}

std::string_view strip_spaces(std::string_view part) {
  const std::size_t first = part.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return part.substr(first, part.find_last_not_of(' ') - first + 1);
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

// '*' matches any run of bytes, '?' any one byte, within a single path segment.
bool glob_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The embedded ROM: files are rom_entries(); directories are the prefixes of their paths.
bool lies_in(std::string_view entry, std::string_view dir) {
  return entry.size() > dir.size() && entry.substr(0, dir.size()) == dir &&
         entry[dir.size()] == '/';
}

node_info rom_stat(std::string_view key) {
  if (key == "rom") return {node_kind::dir, 0};
  for (const rom_entry& entry : rom_entries()) {
    if (entry.path == key) return {node_kind::file, entry.contents.size()};
    if (lies_in(entry.path, key)) return {node_kind::dir, 0};
  }
  return {};
}

std::vector<std::string> rom_children(std::string_view key) {
  std::vector<std::string> names;
  for (const rom_entry& entry : rom_entries()) {
    if (!lies_in(entry.path, key)) continue;
    const std::string_view rest = entry.path.substr(key.size() + 1);
    names.emplace_back(rest.substr(0, rest.find('/')));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// Host primitives. Nothing here follows a symlink.
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

// Appends up to count bytes read at offset (fewer at the end of the file).
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

// Quota use of everything inside `dir`, as CC's WritableFileMount measures it.
std::uint64_t measure_dir(unique_fd& dir, int depth) {
  std::uint64_t total = 0;
  if (depth > vfs::tree_depth_max) return total;
  for (const std::string& name : read_dir_names(dir.get())) {
    if (!dir) break;
    const node_info node = stat_at(dir.get(), name);
    if (node.kind == node_kind::file) total += charge(node.size_bytes);
    if (node.kind != node_kind::dir) continue;
    total += vfs::entry_bytes_min;
    descend(dir, name, [&](unique_fd& child) {
      total += measure_dir(child, depth + 1);
      return true;
    });
  }
  return total;
}

// Deletes everything inside `dir`, adding what it frees; false at the first failure.
bool clear_dir(unique_fd& dir, int depth, std::uint64_t& freed_bytes) {
  if (depth > vfs::tree_depth_max) return false;
  for (const std::string& name : read_dir_names(dir.get())) {
    const node_info node = stat_at(dir.get(), name);
    if (node.kind != node_kind::dir) {
      // Symlinks and other oddities are unlinked themselves, never followed.
      if (::unlinkat(dir.get(), name.c_str(), 0) != 0) return false;
      if (node.kind == node_kind::file) freed_bytes += charge(node.size_bytes);
      continue;
    }
    const bool cleared = descend(dir, name, [&](unique_fd& child) {
      return clear_dir(child, depth + 1, freed_bytes);
    });
    if (!cleared || ::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) != 0) return false;
    freed_bytes += vfs::entry_bytes_min;
  }
  return true;
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

vfs::vfs(std::filesystem::path root_dir, std::uint64_t capacity_bytes)
    : capacity_bytes_(capacity_bytes) {
  std::error_code ignored;
  std::filesystem::create_directories(root_dir, ignored);
  // The root itself comes from the daemon's configuration, so it may be reached through a
  // symlink; nothing below it may.
  root_fd_ = ::open(root_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) return;
  unique_fd walk{::openat(root_fd_, ".", dir_flags)};
  if (walk) used_bytes_ = measure_dir(walk, 1);
}

vfs::~vfs() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::string vfs::sanitize(std::string_view path, bool allow_wildcards) {
  std::string clean;
  clean.reserve(path.size());
  for (const char c : path) {
    const char normal = c == '\\' ? '/' : c;
    if (!is_dropped(static_cast<unsigned char>(normal), allow_wildcards)) clean.push_back(normal);
  }
  std::vector<std::string_view> kept;
  std::string_view rest = clean;
  for (bool more = true; more;) {
    const std::size_t slash = rest.find('/');
    more = slash != std::string_view::npos;
    std::string_view part = strip_spaces(rest.substr(0, slash));
    if (more) rest.remove_prefix(slash + 1);
    // Classified after cutting, so a cut segment can never turn into a stray "..".
    if (part.size() >= segment_bytes_max) part = strip_spaces(part.substr(0, segment_bytes_max));
    // "." and runs of three or more dots mean "here"; ".." cancels the segment before it.
    const bool only_dots = part.find_first_not_of('.') == std::string_view::npos;
    if (part.empty() || (only_dots && part != "..")) continue;
    if (part == ".." && !kept.empty() && kept.back() != "..") kept.pop_back();
    else kept.push_back(part);
  }
  std::string out;
  for (const std::string_view part : kept) {
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  return out;
}

std::string vfs::combine(std::span<const std::string_view> parts) {
  std::string joined;
  for (const std::string_view raw : parts) {
    const std::string part = sanitize(raw, true);
    if (!joined.empty() && !part.empty()) joined.push_back('/');
    joined += part;
  }
  return sanitize(joined, true);
}

std::string vfs::name_of(std::string_view path) {
  const std::string clean = sanitize(path, true);
  if (clean.empty()) return "root";
  const std::size_t slash = clean.rfind('/');
  return slash == std::string::npos ? clean : clean.substr(slash + 1);
}

std::string vfs::dir_of(std::string_view path) {
  const std::string clean = sanitize(path, true);
  if (clean.empty()) return "..";
  const std::size_t slash = clean.rfind('/');
  // Above the root, the parent of ".." is "../..".
  if (clean.compare(slash == std::string::npos ? 0 : slash + 1, std::string::npos, "..") == 0) {
    return clean + "/..";
  }
  return slash == std::string::npos ? std::string() : clean.substr(0, slash);
}

fs_result<vfs::location> vfs::resolve(std::string_view raw) const {
  location at = make_location(sanitize(raw));
  // Sanitising leaves ".." only in front: such a path climbs above the root.
  for (const std::string& part : at.parts) {
    if (part == ".." || part == "." || part.empty()) return {{}, failure(at.path, "Invalid Path")};
  }
  return {std::move(at), {}};
}

vfs::unique_fd vfs::open_dir(const std::vector<std::string>& parts, std::size_t count) const {
  REDRUND_ASSERT(count <= parts.size());
  unique_fd dir{::openat(root_fd_, ".", dir_flags)};
  for (std::size_t i = 0; i < count && dir; ++i) {
    // One level down per step: resolve() admits no "." or ".." component.
    REDRUND_ASSERT(!parts[i].empty() && parts[i] != "." && parts[i] != "..");
    dir = unique_fd{::openat(dir.get(), parts[i].c_str(), dir_flags)};
  }
  return dir;
}

vfs::unique_fd vfs::open_regular(const std::vector<std::string>& parts, int flags) const {
  if (parts.empty()) return {};
  const unique_fd parent = open_dir(parts, parts.size() - 1);
  // Checked before opening so that no device or fifo is ever opened, and after, in case
  // the entry was swapped in between.
  if (!parent || stat_at(parent.get(), parts.back()).kind != node_kind::file) return {};
  unique_fd file{::openat(parent.get(), parts.back().c_str(), flags | file_flags)};
  struct stat st {};
  if (!file || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  return file;
}

vfs::node_info vfs::host_stat(const std::vector<std::string>& parts) const {
  if (parts.empty()) return {node_kind::dir, 0};
  const unique_fd parent = open_dir(parts, parts.size() - 1);
  if (!parent) return {};
  return stat_at(parent.get(), parts.back());
}

vfs::node_info vfs::stat(const location& at) const {
  return at.on_rom ? rom_stat(at.rom_key) : host_stat(at.parts);
}

std::vector<std::string> vfs::list_node(const location& at) const {
  if (at.on_rom) return rom_children(at.rom_key);
  std::vector<std::string> names;
  if (const unique_fd dir = open_dir(at.parts, at.parts.size())) {
    for (std::string& name : read_dir_names(dir.get())) {
      // The ROM mount shadows whatever the host directory holds under its name.
      if (at.parts.empty() && is_rom_name(name)) continue;
      if (stat_at(dir.get(), name).exists()) names.push_back(std::move(name));
    }
  }
  if (at.parts.empty()) names.emplace_back("rom");
  std::sort(names.begin(), names.end());
  return names;
}

std::uint64_t vfs::free_bytes() const {
  return capacity_bytes_ > used_bytes_ ? capacity_bytes_ - used_bytes_ : 0;
}

bool vfs::exists(std::string_view path) const {
  const auto at = resolve(path);
  return at.ok() && stat(at.value).exists();
}

bool vfs::is_dir(std::string_view path) const {
  const auto at = resolve(path);
  return at.ok() && stat(at.value).kind == node_kind::dir;
}

bool vfs::is_read_only(std::string_view path) const {
  const auto at = resolve(path);
  return at.ok() && at.value.on_rom;
}

fs_result<std::vector<std::string>> vfs::list(std::string_view path) const {
  const auto at = resolve(path);
  if (!at.ok()) return {{}, at.error};
  const node_info node = stat(at.value);
  if (!node.exists()) return {{}, failure(at.value.shown(), "No such file")};
  if (node.kind != node_kind::dir) return {{}, failure(at.value.shown(), "Not a directory")};
  return {list_node(at.value), {}};
}

fs_result<std::uint64_t> vfs::size_of(std::string_view path) const {
  const auto found = attributes(path);
  return {found.value.size_bytes, found.error};
}

fs_result<fs_attributes> vfs::attributes(std::string_view path) const {
  const auto at = resolve(path);
  if (!at.ok()) return {{}, at.error};
  const node_info node = stat(at.value);
  if (!node.exists()) return {{}, failure(at.value.shown(), "No such file")};
  fs_attributes attributes;
  attributes.size_bytes = node.size_bytes;
  attributes.is_dir = node.kind == node_kind::dir;
  attributes.is_read_only = at.value.on_rom;
  return {attributes, {}};
}

fs_result<std::uint64_t> vfs::free_space_bytes(std::string_view path) const {
  const auto at = resolve(path);
  if (!at.ok()) return {0, at.error};
  return {at.value.on_rom ? 0 : free_bytes(), {}};
}

fs_result<std::optional<std::uint64_t>> vfs::capacity_bytes(std::string_view path) const {
  const auto at = resolve(path);
  if (!at.ok()) return {std::nullopt, at.error};
  if (at.value.on_rom) return {std::nullopt, {}};
  return {capacity_bytes_, {}};
}

fs_result<std::optional<std::string>> vfs::drive_of(std::string_view path) const {
  const auto at = resolve(path);
  if (!at.ok()) return {std::nullopt, at.error};
  if (!stat(at.value).exists()) return {std::nullopt, {}};
  return {std::string(at.value.on_rom ? "rom" : "hdd"), {}};
}

// CC's rom/apis/fs.lua find, natively: segments without wildcards are taken as they are,
// the others matched against the directory's sorted listing.
fs_result<std::vector<std::string>> vfs::find(std::string_view pattern) const {
  const std::string_view whole[] = {pattern};
  const std::string normal = combine(whole);
  if (normal == ".." || normal.starts_with("../")) return {{}, failure(normal, "Invalid Path")};
  if (normal.find_first_of("*?") == std::string::npos) {
    if (!exists(normal)) return {};
    return {{normal}, {}};
  }
  std::vector<std::string> found;
  find_in(make_location(""), split_path(normal), 0, found);
  return {std::move(found), {}};
}

void vfs::find_in(const location& at, const std::vector<std::string>& parts, std::size_t index,
                  std::vector<std::string>& out) const {
  if (index == parts.size()) {
    if (stat(at).exists()) out.push_back(at.path);
    return;
  }
  const std::string& part = parts[index];
  if (part.find_first_of("*?") == std::string::npos) {
    return find_in(child_of(at, part), parts, index + 1, out);
  }
  if (stat(at).kind != node_kind::dir) return;
  for (const std::string& name : list_node(at)) {
    if (glob_match(part, name)) find_in(child_of(at, name), parts, index + 1, out);
  }
}

fs_status vfs::make_dir(std::string_view path) {
  const auto at = resolve(path);
  if (!at.ok()) return {at.error};
  if (at.value.on_rom) return {failure(at.value.path, "Access denied")};
  return ensure_dirs(at.value.parts, at.value.parts.size(), at.value.path);
}

// Creates the missing directories of parts[0, count), charging the quota for all of them
// before creating any, as CC's makeDirectory. Errors name `shown`.
fs_status vfs::ensure_dirs(const std::vector<std::string>& parts, std::size_t count,
                           const std::string& shown) {
  if (count == 0) return {};
  unique_fd dir = open_dir(parts, 0);
  std::size_t i = 0;
  for (; dir && i < count; ++i) {
    const node_info node = stat_at(dir.get(), parts[i]);
    if (node.kind == node_kind::missing) break;
    if (node.kind != node_kind::dir) {
      return {failure(shown, i + 1 == count ? "File exists" : "Access denied")};
    }
    dir = unique_fd{::openat(dir.get(), parts[i].c_str(), dir_flags)};
  }
  if (!dir) return {failure(shown, "Access denied")};
  if (i == count) return {};
  if (free_bytes() < (count - i) * entry_bytes_min) return {failure(shown, "Out of space")};
  for (; i < count; ++i) {
    if (::mkdirat(dir.get(), parts[i].c_str(), 0755) != 0) {
      return {failure(shown, reason_of(errno))};
    }
    used_bytes_ += entry_bytes_min;
    dir = unique_fd{::openat(dir.get(), parts[i].c_str(), dir_flags)};
    if (!dir) return {failure(shown, "Access denied")};
  }
  return {};
}

fs_status vfs::remove(std::string_view path) {
  const auto resolved = resolve(path);
  if (!resolved.ok()) return {resolved.error};
  const location& at = resolved.value;
  if (at.on_rom || at.parts.empty()) return {failure(at.path, "Access denied")};
  const unique_fd parent = open_dir(at.parts, at.parts.size() - 1);
  if (!parent) return {};
  const std::string& name = at.parts.back();
  const node_info node = stat_at(parent.get(), name);
  if (node.kind == node_kind::missing) return {};
  std::uint64_t freed_bytes = 0;
  bool removed = false;
  if (node.kind != node_kind::dir) {
    removed = ::unlinkat(parent.get(), name.c_str(), 0) == 0;
    if (removed && node.kind == node_kind::file) freed_bytes = charge(node.size_bytes);
  } else {
    unique_fd dir{::openat(parent.get(), name.c_str(), dir_flags)};
    const bool cleared = dir && clear_dir(dir, 1, freed_bytes);
    dir.reset();
    removed = cleared && ::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) == 0;
    if (removed) freed_bytes += entry_bytes_min;
  }
  used_bytes_ -= std::min(used_bytes_, freed_bytes);
  return removed ? fs_status{} : fs_status{failure(at.path, "Access denied")};
}

fs_status vfs::move(std::string_view from_path, std::string_view to_path) {
  const auto from = resolve(from_path);
  if (!from.ok()) return {from.error};
  const auto to = resolve(to_path);
  if (!to.ok()) return {to.error};
  const location& source = from.value;
  const location& target = to.value;
  // CC's FileSystem.move words these without a path.
  if (source.on_rom || target.on_rom) return {"Access denied"};
  if (!stat(source).exists()) return {"No such file"};
  if (stat(target).exists()) return {"File exists"};
  if (contains(source.path, target.path)) return {"Can't move a directory inside itself"};
  REDRUND_ASSERT(!source.parts.empty() && !target.parts.empty());
  // As CC's MountWrapper.rename, the target's directory is created first.
  const std::size_t target_depth = target.parts.size() - 1;
  const fs_status made = ensure_dirs(target.parts, target_depth, dir_of(target.path));
  if (!made.ok()) return made;
  const unique_fd source_dir = open_dir(source.parts, source.parts.size() - 1);
  const unique_fd target_dir = open_dir(target.parts, target_depth);
  errno = EACCES;
  if (!source_dir || !target_dir ||
      ::renameat2(source_dir.get(), source.parts.back().c_str(), target_dir.get(),
                  target.parts.back().c_str(), RENAME_NOREPLACE) != 0) {
    return {failure(source.path, reason_of(errno))};
  }
  return {};
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

fs_status vfs::copy_file(const location& from, const location& to) {
  const open_mode mode = *parse_open_mode("w");
  auto target = open_for_write(to, mode);
  if (!target.ok()) return {target.error};
  if (from.on_rom) return write_at(target.value.get(), 0, find_rom_file(from.rom_key).contents);
  const unique_fd source = open_regular(from.parts, O_RDONLY);
  if (!source) return {failure(from.path, "No such file")};
  std::string chunk;
  for (std::uint64_t offset = 0;; offset += chunk.size()) {
    chunk.clear();
    if (!read_fully(source.get(), offset, copy_chunk_bytes, chunk)) return {"Access denied"};
    if (chunk.empty()) return {};
    if (auto written = write_at(target.value.get(), offset, chunk); !written.ok()) return written;
  }
}

// Opens a host file for writing, creating or truncating it as the mode says, and keeps the
// quota as CC's WritableFileMount.openFile: a new file costs entry_bytes_min at once.
fs_result<vfs::unique_fd> vfs::open_for_write(const location& at, const open_mode& mode) {
  REDRUND_ASSERT(!at.on_rom && !at.parts.empty());
  const node_info node = host_stat(at.parts);
  if (node.kind == node_kind::dir) {
    return {{}, failure(at.path, mode.create ? "Cannot write to directory" : "Not a file")};
  }
  if (node.kind == node_kind::other) return {{}, failure(at.path, "Access denied")};
  if (node.kind == node_kind::file) {
    unique_fd file = open_regular(at.parts, O_WRONLY);
    if (!file) return {{}, failure(at.path, "Access denied")};
    if (mode.truncate) {
      if (::ftruncate(file.get(), 0) != 0) return {{}, failure(at.path, "Access denied")};
      used_bytes_ -= std::min(used_bytes_, charge(node.size_bytes) - entry_bytes_min);
    }
    return {std::move(file), {}};
  }
  if (!mode.create) return {{}, failure(at.path, "No such file")};
  const std::size_t parent_depth = at.parts.size() - 1;
  if (auto made = ensure_dirs(at.parts, parent_depth, dir_of(at.path)); !made.ok()) {
    return {{}, made.error};
  }
  if (free_bytes() < entry_bytes_min) return {{}, failure(at.path, "Out of space")};
  const unique_fd parent = open_dir(at.parts, parent_depth);
  errno = EACCES;
  unique_fd file{parent ? ::openat(parent.get(), at.parts.back().c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | file_flags, 0644)
                        : -1};
  if (!file) return {{}, failure(at.path, reason_of(errno))};
  used_bytes_ += entry_bytes_min;
  return {std::move(file), {}};
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
  const bool written = write_fully(fd, offset, bytes);
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
    file.parts = at.parts;
    if (mode.write) {
      const auto opened = open_for_write(at, mode);
      if (!opened.ok()) return {0, opened.error};
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
  const unique_fd fd = open_regular(file.parts, O_RDONLY);
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
  const unique_fd fd = open_regular(file->parts, O_WRONLY);
  // Deleted while open: like an unlinked file, it swallows the bytes.
  if (!fd) {
    file->position += bytes.size();
    return {};
  }
  std::uint64_t offset = file->position;
  struct stat st {};
  if (file->mode.append && ::fstat(fd.get(), &st) == 0) {
    offset = static_cast<std::uint64_t>(st.st_size);
  }
  fs_status status = write_at(fd.get(), offset, bytes);
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
  // Writes go straight to the host file, so there is nothing to flush.
  if (find_file(handle) == nullptr) return {closed_message};
  return {};
}

fs_status vfs::close(file_handle handle) {
  if (files_.erase(handle) == 0) return {closed_message};
  return {};
}

}  // namespace redrund
