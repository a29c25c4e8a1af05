// vfs: a file is replaced whole. What a program writes goes to a hidden file beside it and
// replaces the host file on close (or flush), so a crash leaves the old contents or the new,
// never a mix or an empty file; programs see their writes at once, as in CC.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "computer/vfs.hpp"
#include "support/vfs_fixture.hpp"

using redrund::file_handle;
using redrund::vfs;
using redrund::testing::disk;
using redrund::testing::files_max;
using redrund::testing::host_contents;
using redrund::testing::mode;
using redrund::testing::open_ok;
using redrund::testing::read_file;
using redrund::testing::tree;
using redrund::testing::write_file;

TEST_CASE("a file being rewritten keeps its old contents on the host until it is closed", "[fs]") {
  disk d;
  write_file(d.fs(), "f", "old contents");
  const file_handle writer = open_ok(d.fs(), "f", "wb");
  REQUIRE(d.fs().write(writer, "new").ok());
  CHECK(host_contents(d.root / "f") == "old contents");
  // The program (and any other handle) sees the new version at once, as in CC.
  CHECK(d.fs().size_of("f").value == 3u);
  CHECK(read_file(d.fs(), "f") == "new");
  CHECK(d.fs().list("").value == std::vector<std::string>{"f", "rom"});
  CHECK(d.fs().find("*").value == std::vector<std::string>{"f", "rom"});
  REQUIRE(d.fs().close(writer).ok());
  CHECK(host_contents(d.root / "f") == "new");
  CHECK(tree(d.root) == std::vector<std::string>{"f"});
}

TEST_CASE("a new file appears on the host only when it is closed", "[fs]") {
  disk d;
  const file_handle writer = open_ok(d.fs(), "dir/new", "w");
  CHECK(d.fs().exists("dir/new"));
  CHECK(d.fs().list("dir").value == std::vector<std::string>{"new"});
  REQUIRE(d.fs().write(writer, "hello").ok());
  CHECK_FALSE(std::filesystem::exists(d.root / "dir" / "new"));
  REQUIRE(d.fs().close(writer).ok());
  CHECK(host_contents(d.root / "dir" / "new") == "hello");
  CHECK(tree(d.root) == std::vector<std::string>{"dir", "dir/new"});
}

TEST_CASE("flush replaces the host file and writing goes on", "[fs]") {
  disk d;
  write_file(d.fs(), "log", "one\n");
  const file_handle appender = open_ok(d.fs(), "log", "a");
  REQUIRE(d.fs().write(appender, "two\n").ok());
  CHECK(host_contents(d.root / "log") == "one\n");
  REQUIRE(d.fs().flush(appender).ok());
  CHECK(host_contents(d.root / "log") == "one\ntwo\n");
  REQUIRE(d.fs().write(appender, "three\n").ok());
  CHECK(host_contents(d.root / "log") == "one\ntwo\n");
  CHECK(read_file(d.fs(), "log") == "one\ntwo\nthree\n");
  REQUIRE(d.fs().close(appender).ok());
  CHECK(host_contents(d.root / "log") == "one\ntwo\nthree\n");
  CHECK(tree(d.root) == std::vector<std::string>{"log"});
}

TEST_CASE("a crash while writing leaves the old file, and the next boot clears what it left", "[fs]") {
  disk d(10'000);
  write_file(d.fs(), "f", std::string(1000, 'o'));
  d.files.reset();
  // The child writes a new version and dies without closing anything, as a killed daemon.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    vfs* crashing = new vfs(d.root, 10'000);
    const auto opened = crashing->open("f", mode("wb"), files_max);
    const bool written = opened.ok() && crashing->write(opened.value, std::string(2000, 'n')).ok();
    ::_exit(written ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(host_contents(d.root / "f") == std::string(1000, 'o'));

  d.files.emplace(d.root, 10'000);
  CHECK(tree(d.root) == std::vector<std::string>{"f"});
  CHECK(d.fs().used_bytes() == 1000u);
  CHECK(read_file(d.fs(), "f") == std::string(1000, 'o'));
}

TEST_CASE("a rewrite counts the new version against the quota, not both", "[fs]") {
  disk d(2000);
  write_file(d.fs(), "f", std::string(1500, 'o'));
  const file_handle writer = open_ok(d.fs(), "f", "wb");
  CHECK(d.fs().free_space_bytes("").value == 1500u);
  REQUIRE(d.fs().write(writer, std::string(1500, 'n')).ok());
  CHECK(d.fs().free_space_bytes("").value == 500u);
  CHECK(d.fs().write(writer, std::string(501, 'n')).error == "Out of space");
  REQUIRE(d.fs().close(writer).ok());
  CHECK(d.fs().used_bytes() == 1500u);
  CHECK(host_contents(d.root / "f") == std::string(1500, 'n'));
}

TEST_CASE("deleting, moving and copying a file that is being written use what the program sees", "[fs]") {
  disk d;
  write_file(d.fs(), "kept", "old");
  const file_handle writer = open_ok(d.fs(), "kept", "wb");
  REQUIRE(d.fs().write(writer, "newer").ok());
  REQUIRE(d.fs().copy("kept", "copy").ok());
  CHECK(host_contents(d.root / "copy") == "newer");
  REQUIRE(d.fs().move("kept", "moved").ok());
  CHECK(host_contents(d.root / "moved") == "newer");
  // Like a handle on an unlinked file: writes after the move go nowhere.
  REQUIRE(d.fs().write(writer, "!").ok());
  REQUIRE(d.fs().close(writer).ok());
  CHECK_FALSE(d.fs().exists("kept"));
  CHECK(read_file(d.fs(), "moved") == "newer");

  const file_handle doomed = open_ok(d.fs(), "dir/doomed", "w");
  REQUIRE(d.fs().write(doomed, std::string(3000, 'x')).ok());
  const std::uint64_t used_before = d.fs().used_bytes();
  REQUIRE(d.fs().remove("dir").ok());
  CHECK(d.fs().used_bytes() == used_before - 3000 - vfs::entry_bytes_min);
  REQUIRE(d.fs().write(doomed, "y").ok());
  REQUIRE(d.fs().close(doomed).ok());
  CHECK_FALSE(d.fs().exists("dir"));
  CHECK(tree(d.root) == std::vector<std::string>{"copy", "moved"});
}
