#!/usr/bin/env python3
"""Hostile programs against a shared `redrund serve`: each case once crashed or froze the whole
daemon. Now each ends in an error for the caller or in that one computer stopping, while a
watching client's computer keeps answering, and the world loads again after a restart.

Usage: hostile_test.py REDRUND
"""
import asyncio
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test import ADMIN, TOKEN, Client, Daemon, http_get, result, run_async  # noqa: E402

LUA_ERROR = -32000
INVALID_PARAMS = -32602


class HostileTest(unittest.TestCase):
    def test_hostile_programs_stop_only_themselves(self):
        with tempfile.TemporaryDirectory() as data:
            daemon = Daemon(data)
            try:
                run_async(self.hostile_cases(daemon))
                self.assertIn(b"ok", http_get(daemon.http, "/healthz"))
            finally:
                status = daemon.stop()
            self.assertEqual(status, 0, "the daemon stops cleanly after the hostile cases")
            # What the daemon wrote, it reads back: the world loads with every computer.
            again = Daemon(data)
            try:
                listed = run_async(self.listed(again))
                labels = [c["label"] for c in listed["computers"]]
                self.assertIn("watcher", labels)
                # The label a program set from bytes that are not UTF-8 came back.
                self.assertTrue(any(label and label.startswith("label") for label in labels), labels)
            finally:
                self.assertEqual(again.stop(), 0)

    async def listed(self, daemon):
        client = await Client.connect(daemon.ws)
        return result(await client.call("world.list"))

    async def hostile_cases(self, daemon):
        watcher = await Client.connect(daemon.ws)
        watched = result(await watcher.call("computer.attach", token=TOKEN, events=[],
                                            create={"label": "watcher", "position": [0, 64, 0]}))

        async def still_serving():
            reply = await watcher.call("lua.eval", id=watched["id"], code="return 6 * 7")
            self.assertEqual(result(reply), [42])

        attacker = await Client.connect(daemon.ws)

        async def fresh_computer():
            return result(await attacker.call("computer.attach", token=TOKEN,
                                              create={"position": [5, 64, 5]}))["id"]

        async def evaluate(code, **params):
            return await attacker.call("lua.eval", id=await fresh_computer(), code=code, **params)

        # A message handler that never returns: the computer is hard-aborted.
        reply = await evaluate("return xpcall(error, function() while true do end end)")
        self.assertEqual(reply["error"]["code"], LUA_ERROR, reply)
        self.assertIn("Too long without yielding", reply["error"]["message"])
        await still_serving()

        # Library loops that run no Lua code are charged to the budget.
        reply = await evaluate("return pcall(table.move, {}, 1, 1e15, 2)")
        self.assertEqual(result(reply), [False, "Too long without yielding"])
        await still_serving()

        # Finalizers are not run (as in CC), so one that loops cannot freeze anything.
        reply = await evaluate("""
            for i = 1, 50 do setmetatable({}, { __gc = function() while true do end end }) end
            local t = {} for i = 1, 200000 do t[i % 100 + 1] = { i } end
            return "collected"
        """)
        self.assertEqual(result(reply), ["collected"])

        # debug on C closures and C frames: refused, not a crash.
        reply = await evaluate("""
            local w = coroutine.wrap(function() coroutine.yield(1) end)
            debug.setupvalue(w, 1, "x")
            local it = ("a b"):gmatch("%a")
            debug.setupvalue(it, 1, 5)
            local t = { 3, 1, 2 }
            table.sort(t, function(a, b) debug.setlocal(2, 1, "x") return a < b end)
            return w(), it(), t[1]
        """)
        self.assertEqual(result(reply), [1, "a", 1])
        await still_serving()

        # Many arguments grow the stack.
        reply = await evaluate("return select('#', ...)", args=list(range(3000)))
        self.assertEqual(result(reply), [3000])

        # Bytes that are not UTF-8 in an event name, an error, a task name and a label: the
        # notifications and replies are valid JSON, with U+FFFD in their place.
        target = await fresh_computer()
        reply = await attacker.call("lua.eval", id=target,
                                    code='os.queueEvent("bad\\255name") return os.pullEvent("bad\\255name")')
        self.assertEqual(result(reply), [{"$bytes": "YmFk/25hbWU="}])
        event = await attacker.wait_notification(
            lambda n: n["method"] == "event" and n["params"]["name"].startswith("bad"))
        self.assertEqual(event["params"]["name"], "bad\ufffdname")
        reply = await attacker.call("lua.eval", id=target, code='error("\\255" .. ("\\226\\130\\172"):rep(700))')
        self.assertEqual(reply["error"]["code"], LUA_ERROR)
        self.assertTrue(reply["error"]["message"].startswith("eval:1: \ufffd\u20ac"), reply["error"]["message"][:20])
        # A task whose error is not UTF-8, and a label that is not.
        reply = await attacker.call("lua.eval", id=target, code="""
            local f = fs.open("fails.lua", "w") f.write('error("\\255 fails", 0)') f.close()
            os.setComputerLabel("label\\255\\254")
            return os.getComputerLabel() ~= nil
        """)
        self.assertEqual(result(reply), [True])
        result(await attacker.call("task.start", id=target, name="fails", command="fails"))
        # A task started on an idle computer waits for its next event (the serve issue's to fix).
        result(await attacker.call("event.queue", id=target, name="wake"))
        ended = await attacker.wait_notification(
            lambda n: n["method"] == "task" and n["params"]["name"] == "fails" and n["params"]["status"] != "running")
        self.assertEqual(ended["params"]["status"], "errored")
        self.assertIn("\ufffd fails", ended["params"]["error"])
        # Values that would make world.json unloadable are refused at the door.
        reply = await watcher.call("world.move", admin_token=ADMIN, id=watched["id"], position=[0, 64, 0],
                                   dimension="")
        self.assertEqual(reply["error"]["code"], INVALID_PARAMS, reply)
        reply = await attacker.call("computer.attach", token=TOKEN, create={
            "position": [0, 64, 0], "modems": [{"side": "top"}, {"side": "top", "type": "ender"}]})
        self.assertEqual(reply["error"]["code"], INVALID_PARAMS, reply)
        self.assertIn("params.create.modems[1].side", reply["error"]["message"])

        # Event arguments keep their nils.
        result(await attacker.call("event.queue", id=target, name="holes", args=[1, None, 3, None]))
        queued = await attacker.wait_notification(
            lambda n: n["method"] == "event" and n["params"]["name"] == "holes")
        self.assertEqual(queued["params"]["args"], [1, None, 3, None])

        # A client at its attachment limit cannot create a computer: the world does not grow.
        for _ in range(64):
            reply = await attacker.call("computer.attach", token=TOKEN, create={"position": [1, 64, 1]})
            if "error" in reply:
                break
        self.assertEqual(reply["error"]["code"], -32004, reply)
        before = len(result(await watcher.call("world.list"))["computers"])
        reply = await attacker.call("computer.attach", token=TOKEN, create={"position": [1, 64, 1]})
        self.assertEqual(reply["error"]["code"], -32004, reply)
        self.assertEqual(len(result(await watcher.call("world.list"))["computers"]), before)

        listed = result(await watcher.call("world.list"))
        self.assertTrue(any((c["label"] or "").startswith("label") for c in listed["computers"]))
        await still_serving()


if __name__ == "__main__":
    unittest.main()
