#include "persist/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace redrund {
namespace {

std::string describe(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view contents) {
  while (!contents.empty()) {
    const ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    contents.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

}  // namespace

std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return describe("cannot create", temporary);
  const bool written = write_all(fd, contents) && ::fsync(fd) == 0;
  const std::string failure = written ? std::string() : describe("cannot write", temporary);
  ::close(fd);
  if (!written) return failure;
  if (::rename(temporary.c_str(), path.c_str()) != 0) return describe("cannot rename onto", path);
  // The rename itself must reach the disk too.
  const int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return std::nullopt;
}

std::optional<std::string> append_durably(const std::filesystem::path& path, std::string_view lines) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return describe("cannot open", path);
  const bool written = write_all(fd, lines) && ::fsync(fd) == 0;
  const std::string failure = written ? std::string() : describe("cannot write", path);
  ::close(fd);
  if (!written) return failure;
  return std::nullopt;
}

std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
  // A directory opens as a stream on Linux and reads as nothing: it is not a file to read.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace redrund
