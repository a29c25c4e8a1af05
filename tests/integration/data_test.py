#!/usr/bin/env python3
"""What `redrund serve` keeps under --data survives hostile values and crashes: labels follow
CC's rules wherever they come from, a computer record the daemon cannot read is set aside
while the rest of the world loads, a file a program rewrites is whole after SIGKILL, an
unusable data directory is a clear error, a failed save at SIGTERM is an error exit, and a
removed computer takes its files and its id with it.

Usage: data_test.py REDRUND
"""
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_test  # noqa: E402  (takes the daemon's path from sys.argv[1])
from serve_test import ADMIN, TOKEN, Client, Daemon, result, run_async, wait_until  # noqa: E402

ID_MAX = 2**31 - 1
REJECTED = "world.rejected.jsonl"


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_world(data, computers, **top):
    with open(os.path.join(data, "world.json"), "w", encoding="utf-8") as f:
        json.dump({"name": "redrund world", "computers": computers, **top}, f)


def rejected_lines(data):
    path = os.path.join(data, REJECTED)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def listed(daemon):
    async def world():
        c = await Client.connect(daemon.ws)
        return result(await c.call("world.list"))["computers"]
    return run_async(world())


def stopped_cleanly(test, daemon):
    test.assertEqual(daemon.stop(), 0, "".join(daemon.log))


class LabelTest(unittest.TestCase):
    def test_labels_follow_cc_rules_at_every_entry_and_the_world_restarts(self):
        """A label over 32 characters or with control characters, from a client or a program,
        is cut and cleaned as CC does (so world.json stays loadable): the daemon restarts."""
        with tempfile.TemporaryDirectory() as data:
            first = Daemon(data)
            try:
                async def label_everything():
                    c = await Client.connect(first.ws)
                    long = result(await c.call("computer.attach", token=TOKEN,
                                               create={"label": "L" * 40, "position": [1, 64, 1]}))
                    self.assertEqual(long["label"], "L" * 32)
                    controls = result(await c.call("computer.attach", token=TOKEN,
                                                   create={"label": "a\tb\nc\u0085d", "position": [2, 64, 1]}))
                    self.assertEqual(controls["label"], "a?b?c?d")
                    # Characters, not bytes: 40 two-byte characters keep 32 whole ones.
                    code = "os.setComputerLabel(...) return os.getComputerLabel()"
                    self.assertEqual(result(await c.call("lua.eval", id=long["id"], code=code, args=["é" * 40])),
                                     ["é" * 32])
                    self.assertEqual(result(await c.call("lua.eval", id=controls["id"], code=code,
                                                         args=["bell\u0007 and\r\nnewline"])),
                                     ["bell? and??newline"])
                    # A byte that is not UTF-8 cannot go into world.json: U+FFFD stands in.
                    self.assertEqual(result(await c.call("lua.eval", id=controls["id"],
                                                         code="os.setComputerLabel('bad\\255byte') "
                                                              "return os.getComputerLabel()")),
                                     ["bad\ufffdbyte"])
                    # Duplicate modem sides are refused at the door.
                    twice = await c.call("computer.attach", token=TOKEN, create={
                        "position": [3, 64, 1], "modems": [{"side": "top"}, {"side": "top", "type": "ender"}]})
                    self.assertEqual(twice["error"]["code"], -32602, twice)
                    self.assertIn("top", twice["error"]["message"])
                    # An unnamed task (the schema allows "") is kept and read back.
                    result(await c.call("fs.write", id=long["id"], path="idle.lua", data="while true do sleep(1) end"))
                    result(await c.call("task.start", id=long["id"], name="", command="idle"))
                    return long["id"], controls["id"]
                long_id, controls_id = run_async(label_everything())
            finally:
                stopped_cleanly(self, first)
            self.assertEqual(rejected_lines(data), [])

            second = Daemon(data)  # before the fix: exit 2, "label: expected at most 32 characters"
            try:
                labels = {c["id"]: c["label"] for c in listed(second)}
                self.assertEqual(labels[long_id], "é" * 32)
                self.assertEqual(labels[controls_id], "bad\ufffdbyte")
                saved = {c["id"]: c for c in read_json(os.path.join(data, "world.json"))["computers"]}
                self.assertEqual(saved[long_id]["tasks"], [{"name": "", "run": "idle", "restart": "never"}])
            finally:
                stopped_cleanly(self, second)


class RejectedRecordTest(unittest.TestCase):
    def test_a_bad_record_is_set_aside_and_the_rest_of_the_world_loads(self):
        with tempfile.TemporaryDirectory() as data:
            good = {"id": 1, "label": "good", "position": [0, 64, 0]}
            bad = [
                {"id": 2, "label": "x" * 40, "position": [1, 64, 0]},
                {"id": 3, "position": [2, 64, 0], "modems": [{"side": "top"}, {"side": "top", "type": "ender"}]},
                {"id": ID_MAX + 1, "position": [3, 64, 0]},
                {"id": 1, "label": "twin", "position": [4, 64, 0]},
                7,
            ]
            write_world(data, [good, *bad])
            os.makedirs(os.path.join(data, "computers", "3"))
            with open(os.path.join(data, "computers", "3", "keep.txt"), "w") as f:
                f.write("the rejected computer's files stay")

            daemon = Daemon(data)  # before the fix: exit 2 on every start
            try:
                self.assertEqual([c["id"] for c in listed(daemon)], [1])
                log = "".join(daemon.log)
                for expected in ("computers[1] (id 2)", "label", "computers[2] (id 3)", "side",
                                 f"computers[3] (id {ID_MAX + 1})", "computers[4] (id 1)", "duplicate id",
                                 "computers[5]"):
                    self.assertIn(expected, log)
                kept = rejected_lines(data)
                self.assertEqual([line["record"] for line in kept], bad)
                self.assertTrue(all(line["problems"] for line in kept), kept)
                # The saved world no longer holds them, and their ids are not given out again.
                self.assertEqual([c["id"] for c in read_json(os.path.join(data, "world.json"))["computers"]], [1])

                async def create():
                    c = await Client.connect(daemon.ws)
                    return result(await c.call("computer.attach", token=TOKEN, create={"position": [9, 64, 9]}))["id"]
                self.assertGreater(run_async(create()), 3)
            finally:
                stopped_cleanly(self, daemon)
            self.assertTrue(os.path.exists(os.path.join(data, "computers", "3", "keep.txt")))

            again = Daemon(data)  # set aside once: a restart does not append them again
            try:
                self.assertEqual(len(rejected_lines(data)), len(bad))
            finally:
                stopped_cleanly(self, again)

    def test_a_world_with_edge_values_is_saved_and_loaded_intact(self):
        """Extreme ids, 32-character multibyte labels, every modem kind, odd positions and
        unnamed tasks: what the daemon writes, it reads back unchanged."""
        with tempfile.TemporaryDirectory() as data:
            computers = [
                {"id": 0, "label": "日本" * 16, "position": [0.1, -1e300, 1e300], "dimension": "the_nether",
                 "modems": [{"side": "top", "type": "wireless"}, {"side": "bottom", "type": "ender"},
                            {"side": "left", "type": "wired", "cable": "net-a"}]},
                {"id": ID_MAX, "label": " " * 32, "position": [-0.0, 64, 2**53],
                 "modems": [{"side": s, "type": "wired", "cable": "c" + s} for s in
                            ("bottom", "top", "back", "front", "right", "left")],
                 "tasks": [{"name": "", "run": "", "restart": "on-error"}]},
            ]
            write_world(data, computers)
            first = Daemon(data)
            try:
                before = listed(first)
                self.assertEqual([c["id"] for c in before], [0, ID_MAX])

                async def create():
                    c = await Client.connect(first.ws)
                    return await c.call("computer.attach", token=TOKEN, create={"position": [0, 0, 0]})
                full = run_async(create())  # no id is left above 2^31-1
                self.assertIn("error", full)
                self.assertIn("id", full["error"]["message"])
            finally:
                stopped_cleanly(self, first)
            saved = read_json(os.path.join(data, "world.json"))
            self.assertEqual(len(saved["computers"]), 2)

            second = Daemon(data)
            try:
                self.assertEqual(listed(second), before)
            finally:
                stopped_cleanly(self, second)
            self.assertEqual(read_json(os.path.join(data, "world.json")), saved)
            self.assertEqual(rejected_lines(data), [])


# Rewrites a 900 KiB file forever, each version one repeated letter.
REWRITER = """local n = 0
while true do
  n = n + 1
  local h = fs.open("big.bin", "wb")
  h.write(string.rep(string.char(65 + n % 26), 900 * 1024))
  h.close()
  os.queueEvent("again") os.pullEvent("again")
end"""


class AtomicFileTest(unittest.TestCase):
    def test_kill_9_while_a_program_rewrites_a_large_file_leaves_one_whole_version(self):
        with tempfile.TemporaryDirectory() as data:
            computer_id = None
            for round_number, delay in enumerate((0.3, 0.5, 0.7, 0.9)):
                daemon = Daemon(data)
                try:
                    async def start_rewriting():
                        c = await Client.connect(daemon.ws)
                        if computer_id is None:
                            me = result(await c.call("computer.attach", token=TOKEN, create={"position": [0, 64, 0]}))
                            result(await c.call("fs.write", id=me["id"], path="rewrite.lua", data=REWRITER))
                            # A boot task: it starts again after each restart.
                            result(await c.call("task.start", id=me["id"], name="rewrite", command="rewrite"))
                        else:
                            me = result(await c.call("computer.attach", token=TOKEN, id=computer_id, events=[]))
                        result(await c.call("lua.eval", id=me["id"], code="sleep(0.2)"))  # it starts on the next event
                        return me["id"]
                    computer_id = run_async(start_rewriting())
                    big = os.path.join(data, "computers", str(computer_id), "big.bin")
                    self.assertTrue(wait_until(lambda: os.path.exists(big)))
                    time.sleep(delay)
                finally:
                    daemon.process.kill()
                    daemon.process.wait(timeout=30)
                with open(big, "rb") as f:
                    contents = f.read()
                self.assertEqual(len(contents), 900 * 1024, f"round {round_number}")
                self.assertEqual(contents, contents[:1] * len(contents), f"round {round_number}: a mix")

            final = Daemon(data)
            try:
                async def stop_rewriting():
                    c = await Client.connect(final.ws)
                    result(await c.call("computer.attach", token=TOKEN, id=computer_id, events=[]))
                    for task in result(await c.call("task.list", id=computer_id)):
                        if task["status"] == "running":
                            result(await c.call("task.kill", id=computer_id, task=task["id"]))
                    return result(await c.call("fs.list", id=computer_id, path="/"))
                self.assertEqual(sorted(run_async(stop_rewriting())), ["big.bin", "rewrite.lua", "rom"])
            finally:
                stopped_cleanly(self, final)
            # The computer booted: what a killed run left half-written is gone from the host too.
            host = os.listdir(os.path.join(data, "computers", str(computer_id)))
            self.assertEqual(sorted(host), ["big.bin", "rewrite.lua"])
            self.assertEqual(os.path.getsize(os.path.join(data, "computers", str(computer_id), "big.bin")), 900 * 1024)


def serve_exit(data, timeout=30):
    """Runs `redrund serve --data DATA` expecting it to exit by itself; returns (status, log)."""
    ran = subprocess.run([serve_test.REDRUND, "serve", "--data", data, "--tcp", "127.0.0.1:0", "--ws", "127.0.0.1:0",
                          "--http", "127.0.0.1:0"], capture_output=True, text=True, timeout=timeout)
    return ran.returncode, ran.stderr


class DataDirectoryTest(unittest.TestCase):
    def test_an_unusable_data_directory_is_a_clear_error_with_status_2(self):
        with tempfile.TemporaryDirectory() as scratch:
            a_file = os.path.join(scratch, "a-file")
            with open(a_file, "w") as f:
                f.write("not a directory")
            for data in (a_file, os.path.join(a_file, "below")):
                status, log = serve_exit(data)  # before the fix: an uncaught exception, abort (-6)
                self.assertEqual(status, 2, log)
                self.assertIn(data, log)
                self.assertIn("Not a directory", log)
                self.assertNotIn("terminate called", log)

    def test_a_save_that_fails_at_sigterm_is_an_error_exit(self):
        with tempfile.TemporaryDirectory() as scratch:
            data = os.path.join(scratch, "data")
            daemon = Daemon(data)
            # The data directory goes away under the daemon and a file takes its place, so the
            # world's temporary file cannot be created (ENOTDIR, even for root).
            os.rename(data, data + ".moved")
            with open(data, "w") as f:
                f.write("in the way")
            status = daemon.stop(signal.SIGTERM)  # before the fix: 0
            log = "".join(daemon.log)
            self.assertNotEqual(status, 0, log)
            self.assertIn("saving the world", log)


class RemoveTest(unittest.TestCase):
    def test_a_removed_computer_takes_its_files_and_its_id_is_never_given_again(self):
        with tempfile.TemporaryDirectory() as data:
            first = Daemon(data)
            try:
                async def remove_and_create():
                    c = await Client.connect(first.ws)
                    gone = result(await c.call("computer.attach", token=TOKEN, create={"position": [0, 64, 0]}))
                    result(await c.call("fs.write", id=gone["id"], path="secret.txt", data="for the removed one"))
                    self.assertTrue(result(await c.call("world.remove", id=gone["id"], admin_token=ADMIN)))
                    after = result(await c.call("computer.attach", token=TOKEN, create={"position": [1, 64, 0]}))
                    self.assertGreater(after["id"], gone["id"])
                    self.assertEqual(result(await c.call("lua.eval", id=after["id"],
                                                         code="return fs.exists('secret.txt')")), [False])
                    # The highest id goes too: a restart must still not give it out again.
                    self.assertTrue(result(await c.call("world.remove", id=after["id"], admin_token=ADMIN)))
                    return gone["id"], after["id"]
                gone_id, after_id = run_async(remove_and_create())
                for removed in (gone_id, after_id):
                    directory = os.path.join(data, "computers", str(removed))
                    self.assertTrue(wait_until(lambda: not os.path.exists(directory)), directory)
            finally:
                stopped_cleanly(self, first)

            second = Daemon(data)
            try:
                async def create():
                    c = await Client.connect(second.ws)
                    return result(await c.call("computer.attach", token=TOKEN, create={"position": [2, 64, 0]}))["id"]
                self.assertGreater(run_async(create()), after_id)
            finally:
                stopped_cleanly(self, second)


if __name__ == "__main__":
    unittest.main(verbosity=2)
