// File transfer over rednet between simulated computers (lua/rom/modules/main/redrun/
// transfer.lua, proto/transfer.md): loss, a repeater, interruption and resumption. The
// server is `transfer serve`, a RedRun task; files are checked from the host side.

#include <catch2/catch.hpp>

#include "support/world_fixture.hpp"
#include "tasks/tasks_support.hpp"

using namespace redrund;
using namespace redrund::testing;

namespace {

constexpr std::size_t file_bytes = 200 * 1024;

// A client whose program is `program`, with big.bin (every byte value) on its disk from the
// start (a computer runs its startup program as soon as it is turned on).
computer& add_client(world_fixture& w, std::uint32_t id, const std::string& program, placement where) {
  return w.add_with(id, startup_program{"main.lua", {}, {}},
                    {{"main.lua", program}, {"big.bin", all_bytes(file_bytes)}}, std::move(where),
                    {wireless("top")});
}

// Runs until computer `id`'s program has ended (or the limit).
run_end run_client(world_fixture& w, std::uint32_t id, double limit_seconds = 900) {
  return w.run_until([&] { return w.get(id).program_done(); }, limit_seconds);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void check_delivered(computer& receiver, const std::string& path) {
  const auto got = read_file(receiver, path);
  REQUIRE(got.has_value());
  CHECK(got->size() == file_bytes);
  CHECK(*got == all_bytes(file_bytes));
  CHECK_FALSE(receiver.files().exists(path + ".part"));
  CHECK_FALSE(receiver.files().exists(path + ".part.meta"));
}

}  // namespace

TEST_CASE("transfer: 200 KiB with every byte value crosses a link losing 20% of packets", "[tasks][transfer]") {
  fault_plan faults;
  faults.loss = 0.2;
  const std::uint64_t seed = GENERATE(11, 21, 31, 41);
  world_fixture w(world_with(seed, faults));
  w.add_command(2, "transfer serve", at(0, 0, 0), {wireless("top")});
  add_client(w, 1, R"(assert(shell.run("transfer send 2 big.bin copy.bin")))", at(20, 0, 0));
  REQUIRE(run_client(w, 1) == run_end::condition_met);
  INFO(w.trace());
  CHECK(w.err(1).empty());
  CHECK(contains(w.out(1), "Sent copy.bin to computer 2 (204800 bytes)"));
  check_delivered(w.get(2), "copy.bin");
  CHECK(w.sim().faults().stats().lost > 0);
}

TEST_CASE("transfer: through a repeater, push by hostname and fetch back", "[tasks][transfer]") {
  fault_plan faults;
  faults.loss = 0.1;
  world_fixture w(world_with(12, faults));
  // 1 and 2 are 100 blocks apart (range 64): only the repeater in the middle joins them.
  w.add_with(2, startup_program{{}, {}, "transfer serve"}, {}, at(100, 0, 0), {wireless("top")}, "vault");
  w.add_command(3, "/rom/programs/rednet/repeat", at(50, 0, 0), {wireless("top")});
  add_client(w, 1, R"(
    sleep(3) -- the server hosts its name after a 2 s lookup of its own
    assert(shell.run("transfer send vault big.bin"))
    assert(shell.run("transfer fetch vault big.bin back.bin"))
  )", at(0, 0, 0));
  REQUIRE(run_client(w, 1) == run_end::condition_met);
  INFO(w.trace());
  CHECK(w.err(1).empty());
  CHECK(contains(w.out(1), "Sent big.bin to computer 2 (204800 bytes)"));
  CHECK(contains(w.out(1), "Fetched big.bin from computer 2 (204800 bytes)"));
  check_delivered(w.get(2), "big.bin");
  check_delivered(w.get(1), "back.bin");
  CHECK(contains(w.out(3), "messages repeated"));
}

// The client runs the transfer, is terminated mid-way by a `terminate` event from the host,
// reports, waits for "go", then runs the same transfer again.
TEST_CASE("transfer: a push interrupted by terminate resumes from the .part", "[tasks][transfer]") {
  fault_plan faults;
  faults.delay_ticks = 1;  // spread the transfer over ticks, so it can be caught mid-way
  world_fixture w(world_with(13, faults));
  w.add_command(2, "transfer serve", at(0, 0, 0), {wireless("top")});
  computer& client = add_client(w, 1, R"(
    local transfer = require "redrun.transfer"
    rednet.open("top")
    sleep(3)
    print("first", transfer.send(2, "big.bin", "big.bin"))
    repeat until os.pullEventRaw() == "go"
    local ok, err, info = transfer.send(2, "big.bin", "big.bin")
    print("second", ok, err, info.offset)
  )", at(20, 0, 0));
  computer& server = w.get(2);

  w.run_until([&] { return file_size(server, "big.bin.part") > 0; }, 300);
  REQUIRE(file_size(server, "big.bin.part") > 0);
  client.queue_event(event{"terminate", {}});
  w.run_until([&] { return contains(w.out(1), "first"); }, 400);
  INFO(w.trace());
  CHECK(contains(w.out(1), "first\tfalse\tTerminated"));
  // The server saw the abort: the partial file stays as .part, never under its name.
  w.run_to(static_cast<double>(w.sim().clock().now_ticks) / 20.0 + 2);
  CHECK_FALSE(server.files().exists("big.bin"));
  const std::size_t kept = file_size(server, "big.bin.part");
  CHECK(kept > 0);
  CHECK(kept < file_bytes);
  CHECK(server.files().exists("big.bin.part.meta"));

  client.queue_event(event{"go", {}});
  REQUIRE(run_client(w, 1) == run_end::condition_met);
  const std::string out = w.out(1);
  const auto at = out.find("second\ttrue\tnil\t");
  REQUIRE(at != std::string::npos);
  const long offset = std::stol(out.substr(at + 16));
  CHECK(offset > 0);
  CHECK(offset % 8192 == 0);
  check_delivered(server, "big.bin");
}

TEST_CASE("transfer: a fetch interrupted by terminate keeps a local .part and resumes", "[tasks][transfer]") {
  fault_plan faults;
  faults.delay_ticks = 1;
  world_fixture w(world_with(14, faults));
  w.add_command(2, "transfer serve", at(0, 0, 0), {wireless("top")});
  REQUIRE(write_file(w.get(2), "big.bin", all_bytes(file_bytes)));
  computer& client = w.add(1, R"(
    local transfer = require "redrun.transfer"
    rednet.open("top")
    sleep(3)
    print("first", transfer.fetch(2, "big.bin", "got.bin"))
    repeat until os.pullEventRaw() == "go"
    local ok, err, info = transfer.fetch(2, "big.bin", "got.bin")
    print("second", ok, err, info.offset)
  )", at(20, 0, 0), {wireless("top")});

  w.run_until([&] { return file_size(client, "got.bin.part") > 0; }, 300);
  client.queue_event(event{"terminate", {}});
  w.run_until([&] { return contains(w.out(1), "first"); }, 400);
  INFO(w.trace());
  CHECK(contains(w.out(1), "first\tfalse\tTerminated"));
  CHECK_FALSE(client.files().exists("got.bin"));
  CHECK(file_size(client, "got.bin.part") > 0);

  client.queue_event(event{"go", {}});
  REQUIRE(run_client(w, 1) == run_end::condition_met);
  CHECK(contains(w.out(1), "second\ttrue\tnil\t"));
  CHECK_FALSE(contains(w.out(1), "second\ttrue\tnil\t0"));
  check_delivered(client, "got.bin");
}

TEST_CASE("transfer: a corrupted .part is caught by the CRC and never renamed", "[tasks][transfer]") {
  world_fixture w(world_with(15));
  w.add_command(2, "transfer serve", at(0, 0, 0), {wireless("top")});
  computer& client = add_client(w, 1, R"(
    local transfer = require "redrun.transfer"
    rednet.open("top")
    sleep(3)
    -- Pretend an earlier transfer left a .part: its meta matches, its bytes do not.
    print("first", transfer.send(2, "big.bin", "big.bin"))
    print("second", transfer.send(2, "big.bin", "big.bin"))
  )", at(20, 0, 0));
  (void)client;
  computer& server = w.get(2);
  // Plant a matching meta (size, crc, chunk) over wrong bytes before anything runs.
  const std::uint32_t crc = crc32(all_bytes(file_bytes));
  REQUIRE(write_file(server, "big.bin.part", std::string(16384, 'x')));
  REQUIRE(write_file(server, "big.bin.part.meta", "{size=204800,crc=" + std::to_string(crc) +
                                                      ",chunk=8192,received=16384,}"));
  REQUIRE(run_client(w, 1) == run_end::condition_met);
  INFO(w.trace());
  CHECK(contains(w.out(1), "first\tfalse\tCRC mismatch"));
  CHECK(contains(w.out(1), "second\ttrue"));
  check_delivered(server, "big.bin");
}

// The program's options reach the protocol: a .part left by a transfer in 1000-byte chunks
// is resumed only by a sender that uses 1000-byte chunks too.
TEST_CASE("transfer: the program's --chunk and --window options are used", "[tasks][transfer]") {
  world_fixture w(world_with(16));
  w.add_command(2, "transfer serve", at(0, 0, 0), {wireless("top")});
  add_client(w, 1, R"(
    sleep(3)
    assert(shell.run("transfer --chunk 1000 send 2 big.bin --window 1"))
  )", at(20, 0, 0));
  computer& server = w.get(2);
  REQUIRE(write_file(server, "big.bin.part", all_bytes(file_bytes).substr(0, 2500)));
  REQUIRE(write_file(server, "big.bin.part.meta", "{size=204800,crc=" + std::to_string(crc32(all_bytes(file_bytes))) +
                                                      ",chunk=1000,received=2500,}"));
  REQUIRE(run_client(w, 1) == run_end::condition_met);
  INFO(w.trace());
  CHECK(contains(w.out(1), "Sent big.bin to computer 2 (204800 bytes, resumed\nat 2000)"));  // wrapped at 51
  check_delivered(server, "big.bin");
}
