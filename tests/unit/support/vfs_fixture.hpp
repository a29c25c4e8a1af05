#pragma once

// A computer's disk for vfs tests: a vfs over a scratch directory, and short ways to open,
// write and read its files and to look at the host side of them.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/temp_dir.hpp"
#include "computer/vfs.hpp"

namespace redrund::testing {

inline constexpr std::size_t files_max = 128;

// A computer directory (root) inside a scratch directory, with an "outside" directory next
// to it holding a secret that nothing may reach.
struct disk {
  explicit disk(std::uint64_t capacity_bytes = 1'000'000)
      : root(scratch.path() / "computer"), outside(scratch.path() / "outside") {
    std::filesystem::create_directories(outside);
    std::ofstream(outside / "secret.txt") << "secret";
    files.emplace(root, capacity_bytes);
  }
  vfs& fs() { return *files; }

  temp_dir scratch;
  std::filesystem::path root;
  std::filesystem::path outside;
  std::optional<vfs> files;
};

inline open_mode mode(const char* name) { return *parse_open_mode(name); }

inline file_handle open_ok(vfs& files, std::string_view path, const char* how) {
  const auto opened = files.open(path, mode(how), files_max);
  INFO(opened.error);
  REQUIRE(opened.ok());
  return opened.value;
}

inline void write_file(vfs& files, std::string_view path, std::string_view contents) {
  const file_handle handle = open_ok(files, path, "wb");
  REQUIRE(files.write(handle, contents).ok());
  REQUIRE(files.close(handle).ok());
}

inline std::string read_file(vfs& files, std::string_view path) {
  const file_handle handle = open_ok(files, path, "rb");
  const auto all = files.read_all(handle);
  files.close(handle);
  return all.value;
}

inline std::string host_contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Everything under a host directory, sorted, so a test can tell what appeared where.
inline std::vector<std::string> tree(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    out.push_back(std::filesystem::relative(entry.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace redrund::testing
