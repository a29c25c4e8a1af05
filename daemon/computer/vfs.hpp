#pragma once

// The filesystem of one computer as CC: Tweaked's fs API sees it: the computer's own files
// (a host directory under a byte quota) with the embedded ROM mounted read-only at /rom.
// Lua-free; api/fs_api.cpp binds it. Sim thread only.
//
// Confinement: paths are sanitised as CC does, so no "..", "." or empty component survives
// and a path climbing above the root is "Invalid Path". Every host access then walks from a
// descriptor of the root one component at a time with O_NOFOLLOW, re-resolving the path on
// each operation (open handles included), so neither a symlink planted inside the directory
// nor one swapped in later leads outside it. Entries that are neither regular files nor
// directories (symlinks, devices, fifos, sockets) are invisible and never opened.
//
// Whole files: what a program writes goes to a hidden new version of the file beside it (a
// name no computer can open), which replaces the file on the host by a rename when the
// program flushes or closes it. A crash (kill -9 of the daemon) therefore leaves each file as
// it was or as it was last flushed, never a mix or an empty file; the next start removes the
// versions it left behind. Programs see their writes at once, as in CC: while a file has a
// new version, every query, listing and handle reads that version, and the quota counts it
// in place of the file it replaces (so the host briefly holds both).
//
// Errors carry CC's messages ("/x: No such file"), ready to become Lua errors.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redrund {

// An operation's outcome: success when error is empty, else CC's message.
struct fs_status {
  std::string error;
  bool ok() const { return error.empty(); }
};

template <typename T>
struct fs_result {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
};

struct fs_attributes {
  std::uint64_t size_bytes = 0;
  bool is_dir = false;
  bool is_read_only = false;
  // Always 0: host timestamps would make runs differ (see vfs.cpp).
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
};

// What an fs.open mode asks for.
struct open_mode {
  bool read = false;
  bool write = false;
  bool create = false;    // w, a, w+: create the file (and missing directories)
  bool truncate = false;  // w, w+
  bool append = false;    // a: every write goes to the end; no reading, no seeking
  bool binary = false;    // only changes read() without a count and write(number)
};

// CC's modes: r, rb, w, wb, a, ab, r+, r+b, w+, w+b. Anything else is CC's "Unsupported mode".
std::optional<open_mode> parse_open_mode(std::string_view mode);

enum class seek_origin : std::uint8_t { set, current, end };

using file_handle = std::uint64_t;

// Implementation types of vfs.cpp.
namespace vfs_detail {
struct location;
struct node_info;
class unique_fd;
}  // namespace vfs_detail

class vfs {
 public:
  // CC's MountConstants.MINIMUM_FILE_SIZE: each file and directory counts at least this
  // much against the quota, so empty files and directories are not free.
  static constexpr std::uint64_t entry_bytes_min = 500;
  // CC's FileSystem.MAX_COPY_DEPTH.
  static constexpr int copy_depth_max = 128;
  // Deepest host tree walked when measuring or deleting; deeper entries are left alone.
  static constexpr int tree_depth_max = 4096;

  vfs(std::filesystem::path root_dir, std::uint64_t capacity_bytes);
  ~vfs();
  vfs(const vfs&) = delete;
  vfs& operator=(const vfs&) = delete;

  // False when the root directory could not be created or opened: the writable part of
  // the disk is then empty and every write fails with "Access denied".
  bool has_root() const { return root_fd_ >= 0; }
  std::uint64_t used_bytes() const { return used_bytes_; }

  // Pure path functions: CC's sanitising, fs.combine, fs.getName, fs.getDir.
  static std::string sanitize(std::string_view path, bool allow_wildcards = false);
  static std::string combine(std::span<const std::string_view> parts);
  static std::string name_of(std::string_view path);
  static std::string dir_of(std::string_view path);

  // Queries that answer false for an invalid path, as CC's do.
  bool exists(std::string_view path) const;
  bool is_dir(std::string_view path) const;
  bool is_read_only(std::string_view path) const;

  fs_result<std::vector<std::string>> list(std::string_view path) const;
  fs_result<std::uint64_t> size_of(std::string_view path) const;
  fs_result<fs_attributes> attributes(std::string_view path) const;
  fs_result<std::uint64_t> free_space_bytes(std::string_view path) const;
  // nullopt on the read-only ROM.
  fs_result<std::optional<std::uint64_t>> capacity_bytes(std::string_view path) const;
  // "hdd" or "rom"; nullopt when nothing exists at the path.
  fs_result<std::optional<std::string>> drive_of(std::string_view path) const;
  // Wildcards * and ? match within one path segment; results in listing order.
  fs_result<std::vector<std::string>> find(std::string_view pattern) const;

  fs_status make_dir(std::string_view path);
  fs_status remove(std::string_view path);
  fs_status move(std::string_view from, std::string_view to);
  fs_status copy(std::string_view from, std::string_view to);

  // Open files. A handle names a path, not a host descriptor (so open handles cost no host
  // descriptors); a file deleted (or moved) while open reads as empty and drops writes, as an
  // unlinked file would. Using an unknown or closed handle gives "attempt to use a closed file".
  fs_result<file_handle> open(std::string_view path, open_mode mode, std::size_t open_files_max);
  // Up to count_max bytes; nullopt at the end of the file (count_max 0 gives "" before it).
  fs_result<std::optional<std::string>> read(file_handle handle, std::size_t count_max);
  // The next line without "\n" (nor a "\r" before it) unless with_trailing; nullopt at the end.
  fs_result<std::optional<std::string>> read_line(file_handle handle, bool with_trailing);
  fs_result<std::string> read_all(file_handle handle);
  // All or nothing: a write that would exceed the quota fails with "Out of space".
  fs_status write(file_handle handle, std::string_view bytes);
  // The new position, or nullopt ("Position is negative") leaving the position unchanged.
  fs_result<std::optional<std::uint64_t>> seek(file_handle handle, seek_origin origin,
                                               std::int64_t offset);
  // Flushing or closing a write handle replaces the host file with what was written.
  fs_status flush(file_handle handle);
  fs_status close(file_handle handle);
  void close_all();
  std::size_t open_count() const { return files_.size(); }

 private:
  using location = vfs_detail::location;
  using node_info = vfs_detail::node_info;
  using unique_fd = vfs_detail::unique_fd;

  struct open_file {
    std::string path;                // sanitised: its key in versions_ while writing
    std::vector<std::string> parts;  // the host path, re-resolved on every operation
    std::string_view rom_contents;   // the whole file, for a ROM file
    bool on_rom = false;
    open_mode mode;
    std::uint64_t position = 0;
  };

  // The new version of a file that write handles are writing, shared by every handle open
  // for writing on its path (as descriptors of one file would be).
  struct new_version {
    std::string host_name;  // beside the file; empty before the first write and after a flush
    std::size_t writers = 0;
  };

  fs_result<location> resolve(std::string_view raw) const;
  node_info stat(const location& at) const;
  node_info host_stat(const std::vector<std::string>& parts) const;
  // The host entry holding what the computer sees at `parts`: the file, or its new version.
  std::vector<std::string> visible_parts(const std::vector<std::string>& parts) const;
  std::uint64_t measure_used_bytes() const;
  unique_fd open_dir(const std::vector<std::string>& parts, std::size_t count) const;
  unique_fd open_regular(const std::vector<std::string>& parts, int flags) const;
  std::vector<std::string> list_node(const location& at) const;
  void find_in(const location& at, const std::vector<std::string>& parts, std::size_t index,
               std::vector<std::string>& out) const;
  std::uint64_t free_bytes() const;

  fs_status ensure_dirs(const std::vector<std::string>& parts, std::size_t count,
                        const std::string& shown);
  fs_status start_writing(const location& at, const open_mode& mode);
  // Creates an empty file beside `at` under a new-version name, creating the directories of a
  // new file (`is_new_file`) and charging the quota for it. Sets `host_name`.
  fs_result<unique_fd> create_version(const location& at, bool is_new_file,
                                      std::string& host_name);
  // The new version that writes to `file` go to, created as a copy of the file when there is
  // none yet; an empty descriptor when the file is gone (the bytes are then dropped).
  fs_result<unique_fd> version_for_writing(const open_file& file);
  // Renames the new version of `path` over the file; nothing to do without one.
  fs_status replace_with_new_version(const std::string& path);
  void replace_all_under(const std::string& path);
  void delete_version(const std::vector<std::string>& parts,
                      const std::string& host_name) const;
  // Deletes the new version of `path` and of everything under it, unreplaced.
  void discard_versions_under(const std::string& path);
  fs_status write_at(int fd, std::uint64_t offset, std::string_view bytes);
  fs_status copy_node(const location& from, const location& to, int depth);
  fs_status copy_file(const location& from, const location& to);

  open_file* find_file(file_handle handle);
  // Up to count_max bytes of an open file from offset; also reports the file's size.
  std::string read_range(const open_file& file, std::uint64_t offset, std::size_t count_max,
                         std::uint64_t& size_bytes) const;

  int root_fd_ = -1;
  std::uint64_t capacity_bytes_ = 0;
  // Quota use below the root (the root itself is free): files count max(size, 500) bytes,
  // directories 500, as CC's WritableFileMount; a file with a new version counts that version
  // instead. Measured at start and after deleting a directory, kept up to date otherwise.
  std::uint64_t used_bytes_ = 0;
  std::map<file_handle, open_file> files_;
  file_handle next_handle_ = 1;
  std::map<std::string, new_version> versions_;  // by sanitised path, while being written
  std::uint64_t next_version_serial_ = 1;        // names new versions, unique in this vfs
};

}  // namespace redrund
