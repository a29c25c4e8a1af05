// vfs: CC's path rules, confinement to the computer's directory, the quota, the read-only
// ROM, move/copy rules and open files.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/temp_dir.hpp"
#include "computer/rom.hpp"
#include "computer/vfs.hpp"
#include "support/vfs_fixture.hpp"

using redrund::file_handle;
using redrund::parse_open_mode;
using redrund::seek_origin;
using redrund::temp_dir;
using redrund::vfs;
using redrund::testing::disk;
using redrund::testing::files_max;
using redrund::testing::host_contents;
using redrund::testing::mode;
using redrund::testing::open_ok;
using redrund::testing::read_file;
using redrund::testing::tree;
using redrund::testing::write_file;
namespace stdfs = std::filesystem;

namespace {

std::string some_rom_file() {
  for (const auto& entry : redrund::rom_entries()) {
    if (entry.path.starts_with("rom/")) return std::string(entry.path);
  }
  FAIL("the ROM has no files under rom/");
  return {};
}

}  // namespace

TEST_CASE("paths are sanitised as CC does", "[fs]") {
  CHECK(vfs::sanitize("./a//b/") == "a/b");
  CHECK(vfs::sanitize("a\\b") == "a/b");
  CHECK(vfs::sanitize("a/../../c") == "../c");
  CHECK(vfs::sanitize("a/.../b") == "a/b");
  CHECK(vfs::sanitize(" a / b ") == "a/b");
  CHECK(vfs::sanitize("foo\":<>|") == "foo");
  CHECK(vfs::sanitize("a*?b") == "ab");
  CHECK(vfs::sanitize("a*?b", true) == "a*?b");
  CHECK(vfs::sanitize(std::string("a\0b\nc", 5)) == "abc");
  CHECK(vfs::sanitize(std::string(300, 'x')) == std::string(255, 'x'));
  // A segment that is ".." once cut acts as one; it never stays inside a path.
  CHECK(vfs::sanitize("a/.." + std::string(253, ' ') + "x") == "");

  const std::string_view parts[] = {"a", "", "b", "c"};
  CHECK(vfs::combine(parts) == "a/b/c");
  const std::string_view up[] = {"a", "../../c"};
  CHECK(vfs::combine(up) == "../c");
  const std::string_view climb[] = {"..", "x"};
  CHECK(vfs::combine(climb) == "../x");

  CHECK(vfs::name_of("") == "root");
  CHECK(vfs::name_of("foo/..") == "root");
  CHECK(vfs::name_of("foo/bar/") == "bar");
  CHECK(vfs::name_of("..") == "..");
  CHECK(vfs::dir_of("") == "..");
  CHECK(vfs::dir_of("foo/bar") == "foo");
  CHECK(vfs::dir_of("../foo") == "..");
  CHECK(vfs::dir_of("..") == "../..");
  CHECK(vfs::dir_of("../..") == "../../..");
}

TEST_CASE("no path leaves the computer's directory", "[fs]") {
  disk d;
  const std::vector<std::string> before = tree(d.scratch.path());
  const char* climbing[] = {"..", "../..", "/../x", "../x", "rom/../..", "a/../../x",
                            "\\..\\x", "../outside/secret.txt", "../computer/../outside"};
  for (const char* path : climbing) {
    INFO(path);
    CHECK_FALSE(d.fs().exists(path));
    CHECK_FALSE(d.fs().is_dir(path));
    CHECK(d.fs().list(path).error.ends_with(": Invalid Path"));
    CHECK(d.fs().open(path, mode("r"), files_max).error.ends_with(": Invalid Path"));
    CHECK(d.fs().open(path, mode("w"), files_max).error.ends_with(": Invalid Path"));
    CHECK(d.fs().make_dir(path).error.ends_with(": Invalid Path"));
    CHECK(d.fs().remove(path).error.ends_with(": Invalid Path"));
    CHECK_FALSE(d.fs().copy("rom", path).ok());
    CHECK_FALSE(d.fs().move(path, "x").ok());
    CHECK(d.fs().find(path).error.ends_with(": Invalid Path"));
  }
  CHECK(d.fs().open("../x", mode("r"), files_max).error == "/../x: Invalid Path");
  CHECK(d.fs().find("../foo/bar").error == "/../foo/bar: Invalid Path");
  // The root directory may have been created by now; nothing else may exist.
  std::vector<std::string> after = tree(d.scratch.path());
  CHECK(after == before);
  CHECK(host_contents(d.outside / "secret.txt") == "secret");
}

TEST_CASE("absolute host paths name files inside the computer", "[fs]") {
  disk d;
  CHECK_FALSE(d.fs().exists("/etc/passwd"));
  CHECK(d.fs().open("/etc/passwd", mode("r"), files_max).error == "/etc/passwd: No such file");
  write_file(d.fs(), "/etc/passwd", "mine");
  CHECK(host_contents(d.root / "etc" / "passwd") == "mine");
  const std::string outside = (d.outside / "secret.txt").string();
  CHECK_FALSE(d.fs().exists(outside));
  CHECK(d.fs().list("/dev").error == "/dev: No such file");
}

TEST_CASE("symlinks inside the directory are never followed", "[fs]") {
  disk d;
  stdfs::create_directories(d.root);
  stdfs::create_directory_symlink(d.outside, d.root / "link");
  stdfs::create_symlink(d.outside / "secret.txt", d.root / "secret_link");

  CHECK_FALSE(d.fs().exists("link"));
  CHECK_FALSE(d.fs().exists("link/secret.txt"));
  CHECK_FALSE(d.fs().exists("secret_link"));
  CHECK(d.fs().list("").value == std::vector<std::string>{"rom"});
  CHECK(d.fs().list("link").error == "/link: No such file");
  CHECK(d.fs().open("secret_link", mode("r"), files_max).error == "/secret_link: No such file");
  CHECK(d.fs().open("link/secret.txt", mode("r"), files_max).error ==
        "/link/secret.txt: No such file");
  CHECK_FALSE(d.fs().open("secret_link", mode("w"), files_max).ok());
  CHECK_FALSE(d.fs().open("secret_link", mode("a"), files_max).ok());
  CHECK_FALSE(d.fs().open("link/new.txt", mode("w"), files_max).ok());
  CHECK_FALSE(d.fs().make_dir("link/sub").ok());
  CHECK(d.fs().copy("secret_link", "copy").error == "/secret_link: No such file");
  CHECK(d.fs().find("*").value == std::vector<std::string>{"rom"});

  // Deleting a link removes the link, not what it points to.
  CHECK(d.fs().remove("link").ok());
  CHECK(d.fs().remove("secret_link").ok());
  CHECK_FALSE(stdfs::exists(stdfs::symlink_status(d.root / "link")));
  CHECK(host_contents(d.outside / "secret.txt") == "secret");
  CHECK(tree(d.outside) == std::vector<std::string>{"secret.txt"});
}

TEST_CASE("a directory swapped for a symlink under an open handle is not followed", "[fs]") {
  disk d;
  write_file(d.fs(), "dir/file.txt", "inside");
  const file_handle writer = open_ok(d.fs(), "dir/file.txt", "a");
  const file_handle reader = open_ok(d.fs(), "dir/file.txt", "r");
  stdfs::rename(d.root / "dir", d.root / "moved");
  std::ofstream(d.outside / "file.txt") << "outside";
  stdfs::create_directory_symlink(d.outside, d.root / "dir");

  CHECK(d.fs().write(writer, "more").ok());  // swallowed, as by an unlinked file
  CHECK_FALSE(d.fs().read_all(reader).value.starts_with("outside"));
  CHECK(host_contents(d.outside / "file.txt") == "outside");
  CHECK(host_contents(d.root / "moved" / "file.txt") == "inside");
}

TEST_CASE("device files and fifos are invisible and never opened", "[fs]") {
  disk d;
  stdfs::create_directories(d.root);
  REQUIRE(::mkfifo((d.root / "pipe").c_str(), 0600) == 0);
  CHECK_FALSE(d.fs().exists("pipe"));
  CHECK(d.fs().open("pipe", mode("r"), files_max).error == "/pipe: No such file");  // no hang
  CHECK(d.fs().open("pipe", mode("w"), files_max).error == "/pipe: Access denied");
  CHECK(d.fs().list("").value == std::vector<std::string>{"rom"});
}

TEST_CASE("the ROM is mounted read-only at /rom", "[fs]") {
  disk d;
  const std::string file = some_rom_file();
  CHECK(d.fs().is_dir("rom"));
  CHECK(d.fs().is_dir("/ROM/"));
  CHECK(d.fs().exists(file));
  CHECK(d.fs().is_read_only("rom"));
  CHECK(d.fs().is_read_only(file));
  CHECK(d.fs().is_read_only("rom/nothing"));
  CHECK_FALSE(d.fs().is_read_only(""));
  CHECK_FALSE(d.fs().exists("bios.lua"));
  CHECK_FALSE(d.fs().exists("rom/../bios.lua"));
  CHECK(d.fs().list("").value == std::vector<std::string>{"rom"});
  CHECK(d.fs().drive_of("rom").value == "rom");
  CHECK(d.fs().drive_of("").value == "hdd");
  CHECK_FALSE(d.fs().drive_of("nothing").value);
  CHECK_FALSE(d.fs().capacity_bytes("rom").value);
  CHECK(d.fs().capacity_bytes("").value == 1'000'000u);
  CHECK(d.fs().free_space_bytes("rom").value == 0u);

  CHECK(d.fs().open("rom/x", mode("w"), files_max).error == "/rom/x: Access denied");
  CHECK(d.fs().open(file, mode("a"), files_max).error == "/" + file + ": Access denied");
  CHECK(d.fs().open("rom", mode("r"), files_max).error == "/rom: Not a file");
  CHECK(d.fs().open("rom/x", mode("r"), files_max).error == "/rom/x: No such file");
  CHECK(d.fs().make_dir("rom/x").error == "/rom/x: Access denied");
  CHECK(d.fs().remove("rom/x").error == "/rom/x: Access denied");
  CHECK(d.fs().remove("rom").error == "/rom: Access denied");
  CHECK(d.fs().copy("rom", "rom/startup").error == "/rom/startup: Access denied");
  CHECK(d.fs().move("rom", "x").error == "Access denied");
  CHECK(d.fs().list("rom/x").error == "/rom/x: No such file");
  CHECK(d.fs().list(file).error == "/" + file + ": Not a directory");

  const auto contents = redrund::find_rom_file(file).contents;
  CHECK(read_file(d.fs(), file) == contents);
  CHECK(d.fs().size_of(file).value == contents.size());
  CHECK(d.fs().copy(file, "copied.lua").ok());
  CHECK(read_file(d.fs(), "copied.lua") == contents);
}

TEST_CASE("errors use CC's wording", "[fs]") {
  disk d;
  write_file(d.fs(), "startup.lua", "print(1)");
  CHECK(d.fs().open("", mode("r"), files_max).error == "/: Not a file");
  CHECK(d.fs().open("", mode("r+"), files_max).error == "/: Not a file");
  CHECK(d.fs().open("", mode("w"), files_max).error == "/: Cannot write to directory");
  CHECK(d.fs().open("", mode("a"), files_max).error == "/: Cannot write to directory");
  CHECK(d.fs().open("x", mode("r+"), files_max).error == "/x: No such file");
  CHECK(d.fs().list("x").error == "/x: No such file");
  CHECK(d.fs().list("startup.lua").error == "/startup.lua: Not a directory");
  CHECK(d.fs().size_of("x").error == "/x: No such file");
  CHECK(d.fs().attributes("x").error == "/x: No such file");
  CHECK(d.fs().make_dir("startup.lua").error == "/startup.lua: File exists");
  CHECK(d.fs().open("startup.lua/x", mode("w"), files_max).error == "/startup.lua: File exists");
  CHECK(d.fs().remove("").error == "/: Access denied");
  CHECK(d.fs().remove("nothing").ok());
  CHECK_FALSE(parse_open_mode("rw"));
  CHECK_FALSE(parse_open_mode("rb+"));
  CHECK(parse_open_mode("r+b"));
}

TEST_CASE("the quota counts every file and directory at least 500 bytes", "[fs]") {
  disk d(2000);
  CHECK(d.fs().free_space_bytes("").value == 2000u);
  write_file(d.fs(), "a", "");
  CHECK(d.fs().free_space_bytes("").value == 1500u);
  write_file(d.fs(), "a", std::string(700, 'x'));
  CHECK(d.fs().free_space_bytes("").value == 1300u);
  CHECK(d.fs().make_dir("d/e").ok());
  CHECK(d.fs().free_space_bytes("").value == 300u);
  CHECK(d.fs().make_dir("f").error == "/f: Out of space");
  CHECK(d.fs().open("b", mode("w"), files_max).error == "/b: Out of space");

  // A write that does not fit fails whole and leaves the file as it was.
  const file_handle handle = open_ok(d.fs(), "a", "a");
  CHECK(d.fs().write(handle, std::string(301, 'y')).error == "Out of space");
  CHECK(d.fs().write(handle, std::string(300, 'y')).ok());
  CHECK(d.fs().free_space_bytes("").value == 0u);
  CHECK(d.fs().write(handle, "z").error == "Out of space");
  CHECK(d.fs().close(handle).ok());
  CHECK(d.fs().size_of("a").value == 1000u);

  // Seeking far past the end cannot reserve space either.
  const file_handle seeker = open_ok(d.fs(), "a", "r+");
  CHECK(d.fs().seek(seeker, seek_origin::set, std::int64_t{1} << 62).value);
  CHECK(d.fs().write(seeker, "x").error == "Out of space");
  d.fs().close(seeker);

  CHECK(d.fs().copy("a", "b").error == "/b: Out of space");
  CHECK(d.fs().remove("d").ok());
  CHECK(d.fs().free_space_bytes("").value == 1000u);
  write_file(d.fs(), "c", "x");
  // The copy gets its 500 bytes, then runs out while filling them.
  CHECK(d.fs().copy("a", "b").error == "Out of space");
  for (const char* name : {"a", "b", "c"}) CHECK(d.fs().remove(name).ok());
  CHECK(d.fs().free_space_bytes("").value == 2000u);
}

TEST_CASE("quota use is measured from what the directory already holds", "[fs]") {
  temp_dir scratch;
  stdfs::create_directories(scratch.path() / "sub" / "deeper");
  std::ofstream(scratch.path() / "big") << std::string(800, 'x');
  std::ofstream(scratch.path() / "sub" / "small") << "x";
  const vfs files(scratch.path(), 10'000);
  CHECK(files.used_bytes() == 800u + 500u + 500u + 500u);
}

TEST_CASE("move and copy follow CC's rules", "[fs]") {
  disk d;
  write_file(d.fs(), "dir/sub/file", "data");
  CHECK(d.fs().move("dir", "dir/x").error == "Can't move a directory inside itself");
  CHECK(d.fs().move("dir", "DIR/x").error == "Can't move a directory inside itself");
  CHECK(d.fs().move("", "child").error == "Can't move a directory inside itself");
  CHECK(d.fs().copy("dir", "dir/x").error == "/dir: Can't copy a directory inside itself");
  CHECK(d.fs().move("nothing", "x").error == "No such file");
  CHECK(d.fs().copy("nothing", "x").error == "/nothing: No such file");
  CHECK(d.fs().move("dir", "dir/sub/file").error == "File exists");
  CHECK(d.fs().copy("dir", "dir/sub/file").error == "/dir/sub/file: File exists");
  CHECK(d.fs().move("dir", "rom/dir").error == "Access denied");

  CHECK(d.fs().copy("dir", "copy").ok());
  CHECK(read_file(d.fs(), "copy/sub/file") == "data");
  CHECK(d.fs().move("copy", "new/parent/moved").ok());
  CHECK_FALSE(d.fs().exists("copy"));
  CHECK(read_file(d.fs(), "new/parent/moved/sub/file") == "data");
  CHECK(d.fs().find("new/*/moved/*").value == std::vector<std::string>{"new/parent/moved/sub"});
}

TEST_CASE("find matches wildcards segment by segment", "[fs]") {
  disk d;
  write_file(d.fs(), "a/x.lua", "");
  write_file(d.fs(), "a-b/x.lua", "");
  write_file(d.fs(), "a/y.txt", "");
  CHECK(d.fs().find("a*/x.lua").value == std::vector<std::string>{"a/x.lua", "a-b/x.lua"});
  CHECK(d.fs().find("a/?.*").value == std::vector<std::string>{"a/x.lua", "a/y.txt"});
  CHECK(d.fs().find("*.lua").value.empty());
  CHECK(d.fs().find("a").value == std::vector<std::string>{"a"});
  CHECK(d.fs().find("no/*/file").value.empty());
  CHECK(d.fs().find("r?m").value == std::vector<std::string>{"rom"});
}

TEST_CASE("open files read, write and seek as CC's handles", "[fs]") {
  disk d;
  write_file(d.fs(), "f", "some\nfile\r\ncontents\r!\n\nend");
  const file_handle lines = open_ok(d.fs(), "f", "r");
  CHECK(d.fs().read_line(lines, false).value == "some");
  CHECK(d.fs().read_line(lines, true).value == "file\r\n");
  CHECK(d.fs().read_line(lines, false).value == "contents\r!");
  CHECK(d.fs().read_line(lines, false).value == "");
  CHECK(d.fs().read_line(lines, false).value == "end");
  CHECK_FALSE(d.fs().read_line(lines, false).value);
  CHECK_FALSE(d.fs().read(lines, 1).value);
  CHECK_FALSE(d.fs().read(lines, 0).value);
  CHECK(d.fs().read_all(lines).value == "");
  CHECK(d.fs().seek(lines, seek_origin::set, 2).value == 2u);
  CHECK(d.fs().read(lines, 0).value == "");
  CHECK(d.fs().read(lines, 100).value == "me\nfile\r\ncontents\r!\n\nend");
  CHECK(d.fs().seek(lines, seek_origin::end, -3).value == 23u);
  CHECK(d.fs().read_all(lines).value == "end");
  CHECK_FALSE(d.fs().seek(lines, seek_origin::current, -100).value);
  CHECK(d.fs().seek(lines, seek_origin::current, 0).value == 26u);
  CHECK(d.fs().write(lines, "x").error == "attempt to use a closed file");
  CHECK(d.fs().close(lines).ok());
  CHECK(d.fs().close(lines).error == "attempt to use a closed file");
  CHECK(d.fs().read(lines, 1).error == "attempt to use a closed file");

  const file_handle both = open_ok(d.fs(), "g", "w+");
  CHECK(d.fs().write(both, "hello").ok());
  CHECK(d.fs().seek(both, seek_origin::set, 0).value == 0u);
  CHECK(d.fs().read_all(both).value == "hello");
  CHECK(d.fs().write(both, ", world!").ok());
  CHECK(d.fs().seek(both, seek_origin::set, 0).value == 0u);
  CHECK(d.fs().write(both, "H").ok());
  CHECK(d.fs().seek(both, seek_origin::set, 0).value == 0u);
  CHECK(d.fs().read_all(both).value == "Hello, world!");
  d.fs().close(both);

  const file_handle appender = open_ok(d.fs(), "g", "a");
  CHECK(d.fs().write(appender, "?").ok());
  d.fs().close(appender);
  CHECK(read_file(d.fs(), "g") == "Hello, world!?");
  const file_handle truncator = open_ok(d.fs(), "g", "w");
  CHECK(d.fs().size_of("g").value == 0u);
  d.fs().close(truncator);
}

TEST_CASE("open handles are capped and closed together", "[fs]") {
  disk d;
  write_file(d.fs(), "f", "x");
  std::vector<file_handle> handles;
  for (int i = 0; i < 3; ++i) {
    const auto opened = d.fs().open("f", mode("r"), 3);
    REQUIRE(opened.ok());
    handles.push_back(opened.value);
  }
  CHECK(d.fs().open("f", mode("r"), 3).error == "Too many files already open");
  CHECK(d.fs().open("missing", mode("r"), 3).error == "/missing: No such file");
  CHECK(d.fs().close(handles.back()).ok());
  CHECK(d.fs().open("f", mode("r"), 3).ok());
  d.fs().close_all();
  CHECK(d.fs().open_count() == 0u);
  CHECK(d.fs().read(handles.front(), 1).error == "attempt to use a closed file");
}

TEST_CASE("a missing root directory leaves an empty, unwritable disk", "[fs]") {
  vfs files("", 1000);
  CHECK_FALSE(files.has_root());
  CHECK(files.list("").value == std::vector<std::string>{"rom"});
  CHECK(files.open("x", mode("w"), files_max).error == "/x: Access denied");
  CHECK(files.make_dir("x").error == "/x: Access denied");
}
