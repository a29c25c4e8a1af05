#include "computer/vfs.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include "computer/rom.hpp"
#include "computer/vfs_host.hpp"
#include "core/assert.hpp"

// fs.attributes reports 0 for both timestamps: host times differ between runs (files the
// host copies in carry them too), and a replayed run must see exactly what the first saw.
// Open files, new versions of files and copies are in vfs_files.cpp.

namespace redrund {
namespace {

using vfs_detail::charge;
using vfs_detail::child_of;
using vfs_detail::contains;
using vfs_detail::dir_flags;
using vfs_detail::failure;
using vfs_detail::file_flags;
using vfs_detail::is_rom_name;
using vfs_detail::leftover_versions;
using vfs_detail::location;
using vfs_detail::make_location;
using vfs_detail::node_info;
using vfs_detail::node_kind;
using vfs_detail::read_dir_names;
using vfs_detail::reason_of;
using vfs_detail::split_path;
using vfs_detail::stat_at;
using vfs_detail::unique_fd;

// CC cuts longer path segments; it is also Linux's NAME_MAX.
constexpr std::size_t segment_bytes_max = 255;

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

}  // namespace

vfs::vfs(std::filesystem::path root_dir, std::uint64_t capacity_bytes)
    : capacity_bytes_(capacity_bytes) {
  std::error_code ignored;
  std::filesystem::create_directories(root_dir, ignored);
  // The root itself comes from the daemon's configuration, so it may be reached through a
  // symlink; nothing below it may.
  root_fd_ = ::open(root_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) return;
  // New versions left by a run that crashed before replacing its files go now: the files
  // they would have replaced are whole, as they were before that run wrote them.
  unique_fd walk{::openat(root_fd_, ".", dir_flags)};
  if (walk) used_bytes_ = measure_dir(walk, 1, leftover_versions::remove);
}

vfs::~vfs() {
  close_all();
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::uint64_t vfs::measure_used_bytes() const {
  unique_fd walk{::openat(root_fd_, ".", dir_flags)};
  if (!walk) return 0;
  std::uint64_t used = measure_dir(walk, 1, leftover_versions::skip);
  // A file with a new version counts that version in its place.
  for (const auto& [path, version] : versions_) {
    if (version.host_name.empty()) continue;
    const std::vector<std::string> parts = split_path(path);
    const node_info replaced = host_stat(parts);
    const node_info written = host_stat(visible_parts(parts));
    used += charge(written.size_bytes);
    if (replaced.kind == node_kind::file) used -= std::min(used, charge(replaced.size_bytes));
  }
  return used;
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

std::vector<std::string> vfs::visible_parts(const std::vector<std::string>& parts) const {
  if (versions_.empty() || parts.empty()) return parts;
  std::string path;
  for (const std::string& part : parts) path.append(path.empty() ? "" : "/").append(part);
  const auto found = versions_.find(path);
  if (found == versions_.end() || found->second.host_name.empty()) return parts;
  std::vector<std::string> redirected = parts;
  redirected.back() = found->second.host_name;
  return redirected;
}

vfs::node_info vfs::stat(const location& at) const {
  return at.on_rom ? rom_stat(at.rom_key) : host_stat(visible_parts(at.parts));
}

std::vector<std::string> vfs::list_node(const location& at) const {
  if (at.on_rom) return rom_children(at.rom_key);
  std::vector<std::string> names;
  const unique_fd dir = open_dir(at.parts, at.parts.size());
  if (dir) {
    for (std::string& name : read_dir_names(dir.get())) {
      // The ROM mount shadows whatever the host directory holds under its name.
      if (at.parts.empty() && is_rom_name(name)) continue;
      if (vfs_detail::is_new_version_name(name)) continue;
      if (stat_at(dir.get(), name).exists()) names.push_back(std::move(name));
    }
  }
  // A new file being written exists as its new version until it is closed.
  for (const auto& [path, version] : versions_) {
    if (!dir || version.host_name.empty() || dir_of(path) != at.path) continue;
    if (stat_at(dir.get(), version.host_name).kind == node_kind::file) {
      names.push_back(name_of(path));
    }
  }
  if (at.parts.empty()) names.emplace_back("rom");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
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
    node_info node = stat_at(dir.get(), parts[i]);
    // A new file being written is a file here, though only its new version is on the host.
    if (node.kind == node_kind::missing && !versions_.empty()) {
      const auto end = parts.begin() + static_cast<std::ptrdiff_t>(i + 1);
      const std::vector<std::string> prefix(parts.begin(), end);
      if (host_stat(visible_parts(prefix)).kind == node_kind::file) node.kind = node_kind::file;
    }
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
  const node_info host = stat_at(parent.get(), name);
  const node_info seen = stat(at);  // a new file being written has no host entry yet
  if (host.kind == node_kind::missing && seen.kind == node_kind::missing) return {};
  bool removed = false;
  if (host.kind != node_kind::dir) {
    // The file goes with its new version: handles still writing it drop their bytes.
    discard_versions_under(at.path);
    removed = host.kind == node_kind::missing || ::unlinkat(parent.get(), name.c_str(), 0) == 0;
    if (removed && seen.kind == node_kind::file) {
      used_bytes_ -= std::min(used_bytes_, charge(seen.size_bytes));
    }
  } else {
    unique_fd dir{::openat(parent.get(), name.c_str(), dir_flags)};
    const bool cleared = dir && vfs_detail::clear_dir(dir, 1);
    dir.reset();
    removed = cleared && ::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) == 0;
    discard_versions_under(at.path);
  }
  // A directory (or a failed removal) is measured again rather than tallied.
  if (host.kind == node_kind::dir || !removed) used_bytes_ = measure_used_bytes();
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
  // The host moves what the computer sees: new versions under the source replace their
  // files first. Handles still writing there then write to a path that is gone.
  replace_all_under(source.path);
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

}  // namespace redrund
