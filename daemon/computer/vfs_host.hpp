#pragma once

// What vfs.cpp (paths, queries, directories) and vfs_files.cpp (open files, copies) share:
// host primitives, none of which follows a symlink, and path helpers. Internal to the vfs.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "computer/vfs.hpp"

namespace redrund::vfs_detail {

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

inline constexpr std::size_t copy_chunk_bytes = 64 * 1024;
inline constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// O_NONBLOCK so that nothing ever waits on a fifo; regular files ignore it.
inline constexpr int file_flags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// Quota charge of a file: CC counts each at least entry_bytes_min.
std::uint64_t charge(std::uint64_t size_bytes);
// "/path: reason", CC's form.
std::string failure(std::string_view shown, std::string_view reason);
// CC's wording for a failed host call.
const char* reason_of(int error);

std::vector<std::string> split_path(std::string_view path);
// The ROM's mount name, in any case.
bool is_rom_name(std::string_view name);
location make_location(std::string path);
location child_of(const location& at, const std::string& name);
// Whether inner is outer or lies inside it, ignoring case (CC's FileSystem.contains).
bool contains(std::string_view outer, std::string_view inner);

// A new version of a file is written under a name no computer can give a file (CC drops ':'
// from paths), so it can neither be opened nor collide with a computer's own file.
inline constexpr std::string_view new_version_prefix = ".redrund-new:";
inline bool is_new_version_name(std::string_view name) {
  return name.starts_with(new_version_prefix);
}

node_info stat_at(int dir_fd, const std::string& name);
std::vector<std::string> read_dir_names(int dir_fd);
// Appends up to count bytes read at offset (fewer at the end of the file).
bool read_fully(int fd, std::uint64_t offset, std::size_t count, std::string& out);
bool write_fully(int fd, std::uint64_t offset, std::string_view bytes);
// Copies all of `source` into the empty file `target`; false (errno set) on failure.
bool copy_whole_file(int source, int target);

// What measure_dir does with new versions a previous run left behind (it crashed before
// replacing the files): remove them (when the disk is first opened), or skip them.
enum class leftover_versions : std::uint8_t { remove, skip };
// Quota use of everything inside `dir`, as CC's WritableFileMount measures it. New versions
// of files are never counted here: the vfs counts those it writes itself.
std::uint64_t measure_dir(unique_fd& dir, int depth, leftover_versions leftovers);
// Deletes everything inside `dir`; false at the first failure.
bool clear_dir(unique_fd& dir, int depth);

}  // namespace redrund::vfs_detail
