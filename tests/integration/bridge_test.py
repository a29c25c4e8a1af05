#!/usr/bin/env python3
"""The in-game bridge (lua/bridge/bridge.lua) end to end, between two real daemons.

Daemon A is the simulated world. Daemon B plays the game: its computer 1 runs bridge.lua as a
boot task (files and tasks from B's config, http enabled for 127.0.0.1) pointed at A, and its
computer 2 is an "in-game" computer. A client-created computer in A and computer 2 in B
exchange rednet messages both ways through the bridge; then A restarts and the bridge
reconnects by itself; then the bridge is terminated and cleans up.

Usage: bridge_test.py REDRUND BRIDGE_LUA
"""
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BRIDGE_LUA = sys.argv.pop(2) if len(sys.argv) > 2 else "lua/bridge/bridge.lua"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_test as serve  # noqa: E402  (takes the daemon's path from sys.argv[1])
from serve_test import ADMIN, TOKEN, Client, result, run_async  # noqa: E402

GAME_BRIDGE, GAME_PEER = 1, 2        # computer ids in daemon B
BRIDGE_AT = [100, 64, 100]           # where the bridge stands in A's world
LABEL = "bridge-%d" % GAME_BRIDGE    # the bridge's default label


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorldDaemon:
    """Daemon A on a fixed WebSocket port, so it can restart where the bridge looks for it."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        # A free port can be taken by another test's daemon before A binds it: try a few.
        for _ in range(5):
            self.ws = "127.0.0.1:%d" % free_port()
            if self.start(must=False):
                return
        raise RuntimeError("daemon A did not start:\n" + "".join(self.log))

    def start(self, must=True):
        """Starts A on its port; on a restart (must) the port has to be the same one."""
        for _ in range(20 if must else 1):
            self.process = subprocess.Popen(
                [serve.REDRUND, "serve", "--data", self.data_dir, "--tcp", "127.0.0.1:0", "--ws", self.ws,
                 "--http", "127.0.0.1:0", "--token", TOKEN, "--admin-token", ADMIN],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.log = []
            for line in self.process.stderr:
                self.log.append(line)
                if re.search(r"listening: ", line):
                    # Keep reading the log so the daemon never blocks on a full pipe.
                    self.drain = threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True)
                    self.drain.start()
                    return True
            self.process.wait(timeout=30)
            self.process.stderr.close()
            time.sleep(0.1)
        if must:
            raise RuntimeError("daemon A did not start:\n" + "".join(self.log))
        return False

    def stop(self):
        self.process.terminate()
        code = self.process.wait(timeout=30)
        self.drain.join(timeout=10)
        self.process.stderr.close()
        return code


def game_config(world_ws):
    """Daemon B's configuration: the bridge computer (file + boot task) and an in-game peer."""
    with open(BRIDGE_LUA, encoding="utf-8") as f:
        bridge = f.read()
    command = "bridge ws://%s --token %s --x %d --y %d --z %d --refresh 1" % (world_ws, TOKEN, *BRIDGE_AT)
    modem = [{"side": "top", "type": "wireless"}]
    return {
        "http": {"enabled": True, "allow": ["127.0.0.1"]},
        "world": {"seed": 1, "computers": [
            {"id": GAME_BRIDGE, "position": [0, 64, 0], "modems": modem, "files": {"bridge.lua": bridge},
             "tasks": [{"name": "bridge", "run": command, "restart": "on-error"}]},
            {"id": GAME_PEER, "label": "peer", "position": [6, 64, 0], "modems": modem},
        ]},
    }


async def until(check, what, timeout=30):
    deadline = time.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.time() < deadline, "timed out waiting for " + what
        await asyncio.sleep(0.1)


def is_output(note, computer, text):
    if note.get("method") != "output" or note["params"]["computer"] != computer:
        return False
    return isinstance(note["params"]["text"], str) and text in note["params"]["text"]


def is_rednet(note, computer):
    return note.get("method") == "event" and note["params"]["computer"] == computer \
        and note["params"]["name"] == "rednet_message"


class BridgeTest(unittest.TestCase):
    def test_two_worlds_share_rednet_through_the_bridge(self):
        with tempfile.TemporaryDirectory() as data_a, tempfile.TemporaryDirectory() as data_b:
            world = WorldDaemon(data_a)
            config = os.path.join(data_b, "game.json")
            with open(config, "w", encoding="utf-8") as f:
                json.dump(game_config(world.ws), f)
            game = serve.Daemon(os.path.join(data_b, "state"), ["--config", config])
            try:
                run_async(self.scenario(world, game))
            finally:
                game.stop()
                if world.process.poll() is None:
                    world.stop()

    async def scenario(self, world, game):
        b = await Client.connect(game.ws)
        # Only its output matters (an empty list would mean every event).
        result(await b.call("computer.attach", token=TOKEN, id=GAME_BRIDGE, events=["terminate"]))
        result(await b.call("computer.attach", token=TOKEN, id=GAME_PEER, events=["rednet_message"]))
        result(await b.call("rednet.open", id=GAME_PEER, side="top"))

        a = await Client.connect(world.ws)
        sim = result(await a.call("computer.attach", token=TOKEN, events=["rednet_message"],
                                  create={"label": "sim", "position": [100, 64, 106],
                                          "modems": [{"side": "top", "type": "wireless"}]}))["id"]
        result(await a.call("rednet.open", id=sim, side="top"))

        async def bridge_joined():
            computers = result(await a.call("world.list"))["computers"]
            return next((c for c in computers if c.get("label") == LABEL), None)
        bridged = await until(bridge_joined, "the bridge to attach to daemon A")
        self.assertEqual(bridged["position"], BRIDGE_AT)

        async def listening_for(channel):  # the bridge has the channel open in game
            return result(await b.call("lua.eval", id=GAME_BRIDGE, code="return peripheral.call('top', 'isOpen', ...)",
                                       args=[channel]))[0]
        await until(lambda: listening_for(sim), "the bridge to open the simulated computer's channel in game")

        # In game -> simulated.
        message = {"text": "hello from the game", "list": [1, 2.5, {"$number": "inf"}], "bytes": {"$bytes": "AP8="}}
        self.assertTrue(result(await b.call("rednet.send", id=GAME_PEER, recipient=sim, message=message,
                                            protocol="bridge-test")))
        note = await a.wait_notification(lambda n: is_rednet(n, sim))
        self.assertEqual(note["params"]["args"], [GAME_PEER, message, "bridge-test"])

        # Simulated -> in game (the bridge learned the peer's reply channel from that message).
        self.assertTrue(result(await a.call("rednet.send", id=sim, recipient=GAME_PEER, message="hello from the world",
                                            protocol="bridge-test")))
        note = await b.wait_notification(lambda n: is_rednet(n, GAME_PEER))
        self.assertEqual(note["params"]["args"], [sim, "hello from the world", "bridge-test"])

        # Broadcasts cross too.
        result(await a.call("rednet.broadcast", id=sim, message="to everyone", protocol="bridge-test"))
        note = await b.wait_notification(lambda n: is_rednet(n, GAME_PEER))
        self.assertEqual(note["params"]["args"], [sim, "to everyone", "bridge-test"])

        # Daemon A restarts on the same address: the bridge reconnects and finds its computer.
        await a.ws.close()
        self.assertEqual(world.stop(), 0)
        b.notifications = [n for n in b.notifications if not is_output(n, GAME_BRIDGE, "joined")]
        world.start()
        await b.wait_notification(lambda n: is_output(n, GAME_BRIDGE, "joined"), timeout=60)
        a = await Client.connect(world.ws)
        result(await a.call("computer.attach", token=TOKEN, id=sim, events=["rednet_message"]))
        result(await a.call("rednet.open", id=sim, side="top"))
        computers = result(await a.call("world.list"))["computers"]
        self.assertEqual([c["id"] for c in computers if c.get("label") == LABEL], [bridged["id"]])
        self.assertTrue(result(await b.call("rednet.send", id=GAME_PEER, recipient=sim, message="back again",
                                            protocol="bridge-test")))
        note = await a.wait_notification(lambda n: is_rednet(n, sim))
        self.assertEqual(note["params"]["args"], [GAME_PEER, "back again", "bridge-test"])

        # The game daemon's http metrics saw the bridge's traffic.
        metrics = serve.http_get(game.http, "/metrics").decode()
        self.assertRegex(metrics, r'redrund_http_websocket_messages_total\{direction="out"\} [1-9]')
        self.assertIn("redrund_http_websocket_opened_total 2\n", metrics)  # the first session and the second

        # Terminate: the bridge stops cleanly and closes the channels it opened in game.
        tasks = result(await b.call("task.list", id=GAME_BRIDGE))
        task = next(t for t in tasks if t["name"] == "bridge")
        result(await b.call("task.terminate", id=GAME_BRIDGE, task=task["id"]))
        await b.wait_notification(lambda n: is_output(n, GAME_BRIDGE, "stopped"))
        self.assertFalse(await listening_for(65533))
        self.assertFalse(await listening_for(sim))


class RunHttpTest(unittest.TestCase):
    """`redrund run` gives its computer http only in real time, and then it really connects."""

    def run_program(self, source, *options):
        with tempfile.TemporaryDirectory() as scratch:
            program = os.path.join(scratch, "prog.lua")
            with open(program, "w", encoding="utf-8") as f:
                f.write(source)
            return subprocess.run([serve.REDRUND, "run", *options, program], capture_output=True, text=True,
                                  timeout=60)

    def test_http_needs_real_time(self):
        done = self.run_program("print(http)", "--http-allow", "127.0.0.1")
        self.assertEqual(done.returncode, 2)
        self.assertIn("needs --real-time", done.stderr)
        self.assertEqual(self.run_program("print(http)").stdout, "nil\n")

    def test_a_program_talks_to_a_daemon(self):
        with tempfile.TemporaryDirectory() as data:
            daemon = serve.Daemon(data)
            try:
                source = """
                    local ws = assert(http.websocket("ws://%s"))
                    ws.send('{"jsonrpc":"2.0","id":1,"method":"computer.attach","params":{"token":"%s","id":1}}')
                    print(ws.receive(10):match('"label":"([^"]+)"'))
                    ws.close()
                    print(http.websocket("ws://127.0.0.2:1"))
                """ % (daemon.ws, TOKEN)
                done = self.run_program(source, "--real-time", "--http-allow", "127.0.0.1")
            finally:
                daemon.stop()
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "gps-north\nfalse\tDomain not permitted\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
