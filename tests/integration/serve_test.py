#!/usr/bin/env python3
"""Integration tests of `redrund serve` through real clients: Python's websockets (WebSocket)
and a plain socket (TCP, one JSON document per line), against the binary on ephemeral ports.

Usage: serve_test.py REDRUND
"""
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import websockets

REDRUND = sys.argv.pop(1) if len(sys.argv) > 1 else "build/redrund"
TOKEN = "test-token"
ADMIN = "admin-token"


class Daemon:
    """A `redrund serve` process on ephemeral ports, with its bound addresses parsed from the log."""

    def __init__(self, data_dir, extra=()):
        self.process = subprocess.Popen(
            [REDRUND, "serve", "--data", data_dir, "--tcp", "127.0.0.1:0", "--ws", "127.0.0.1:0",
             "--http", "127.0.0.1:0", "--token", TOKEN, "--admin-token", ADMIN, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        self.log = []
        while time.time() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.append(line)
            match = re.search(r"listening: tcp=(\S+) ws=(\S+) http=(\S+)", line)
            if match:
                self.tcp, self.ws, self.http = match.groups()
                return
        raise RuntimeError("daemon did not start: " + "".join(self.log))

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=30)
        finally:
            self.process.stderr.close()


class Client:
    """A JSON-RPC client over WebSocket that keeps notifications apart from responses."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.notifications = []

    @classmethod
    async def connect(cls, address):
        return cls(await websockets.connect("ws://" + address, max_size=None))

    async def call(self, method, timeout=30, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        return await self.response(self.next_id, timeout)

    async def response(self, wanted_id, timeout=30):
        deadline = time.time() + timeout
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.time())))
            if "id" in message and message["id"] == wanted_id:
                return message
            self.notifications.append(message)

    async def wait_notification(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while True:
            for n in self.notifications:
                if predicate(n):
                    self.notifications.remove(n)
                    return n
            message = json.loads(await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.time())))
            self.notifications.append(message)


def result(response):
    assert "error" not in response, response
    return response["result"]


class TcpClient:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.file = self.sock.makefile("rwb")

    def send_line(self, text):
        self.file.write(text.encode() + b"\n")
        self.file.flush()

    def read(self):
        return json.loads(self.file.readline())

    def call(self, method, request_id=1, **params):
        self.send_line(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        while True:
            message = self.read()
            if message.get("id") == request_id:
                return message


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.TemporaryDirectory()
        cls.daemon = Daemon(cls.data.name)

    @classmethod
    def tearDownClass(cls):
        if cls.daemon.process.poll() is None:
            cls.daemon.stop()
        cls.data.cleanup()

    def run_async(self, coroutine):
        return asyncio.run(coroutine)

    def test_two_clients_exchange_rednet_messages(self):
        async def scenario():
            a = await Client.connect(self.daemon.ws)
            alice = result(await a.call("computer.attach", token=TOKEN,
                                        create={"label": "alice", "position": [10, 70, 10],
                                                "modems": [{"side": "top", "type": "wireless"}]},
                                        events=["rednet_message"]))
            tcp = TcpClient(self.daemon.tcp)
            bob = result(tcp.call("computer.attach", token=TOKEN,
                                  create={"label": "bob", "position": [20, 70, 10],
                                          "modems": [{"side": "top", "type": "wireless"}]}))
            result(await a.call("rednet.open", id=alice["id"], side="top"))
            self.assertNotIn("error", tcp.call("rednet.open", 2, id=bob["id"], side="top"))
            sent = tcp.call("rednet.send", 3, id=bob["id"], recipient=alice["id"], message={"hello": [1, 2]},
                            protocol="chat")
            self.assertTrue(result(sent))
            note = await a.wait_notification(lambda n: n.get("method") == "event")
            self.assertEqual(note["params"]["computer"], alice["id"])
            self.assertEqual(note["params"]["name"], "rednet_message")
            self.assertEqual(note["params"]["args"], [bob["id"], {"hello": [1, 2]}, "chat"])
            await a.ws.close()
        self.run_async(scenario())

    def test_gps_locate_returns_the_position(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            me = result(await c.call("computer.attach", token=TOKEN,
                                     create={"position": [5, 64, -7], "modems": [{"side": "back", "type": "wireless"}]}))
            self.assertEqual(result(await c.call("gps.locate", id=me["id"], timeout=2)), {"x": 5, "y": 64, "z": -7})
        self.run_async(scenario())

    def test_lua_eval_values_and_errors(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            me = result(await c.call("computer.attach", token=TOKEN, create={"position": [0, 64, 0]}))
            values = result(await c.call("lua.eval", id=me["id"], code="return 1, 'two', ..., 0/0", args=[{"k": True}]))
            self.assertEqual(values, [1, "two", {"k": True}, {"$number": "nan"}])
            error = await c.call("lua.eval", id=me["id"], code="error('boom')")
            self.assertEqual(error["error"]["code"], -32000)
            self.assertIn("boom", error["error"]["message"])
        self.run_async(scenario())

    def test_tasks_are_listed_and_killed(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            me = result(await c.call("computer.attach", token=TOKEN, create={"position": [0, 64, 3]}))
            result(await c.call("fs.write", id=me["id"], path="sleeper.lua", data="while true do sleep(1) end"))
            task = result(await c.call("task.start", id=me["id"], name="sleeper", command="sleeper"))
            self.assertIsInstance(task, int)
            result(await c.call("lua.eval", id=me["id"], code="sleep(0.2)"))  # it starts on the next event
            tasks = result(await c.call("task.list", id=me["id"]))
            self.assertTrue(any(t["name"] == "sleeper" and t["status"] == "running" for t in tasks), tasks)
            result(await c.call("task.kill", id=me["id"], task=task))
            tasks = result(await c.call("task.list", id=me["id"]))
            self.assertTrue(all(t["status"] != "running" for t in tasks if t["name"] == "sleeper"), tasks)
        self.run_async(scenario())

    def test_access_control(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            denied = await c.call("computer.attach", token="wrong", id=1)
            self.assertEqual(denied["error"]["code"], -32002)
            not_attached = await c.call("lua.eval", id=1, code="return 1")
            self.assertEqual(not_attached["error"]["code"], -32001)
            result(await c.call("computer.attach", token=TOKEN, id=1))
            self.assertEqual(result(await c.call("lua.eval", id=1, code="return os.getComputerID()")), [1])
            admin = await c.call("world.remove", id=1)
            self.assertEqual(admin["error"]["code"], -32002)
        self.run_async(scenario())

    def test_bad_input_gets_errors_and_the_connection_survives(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            await c.ws.send("{not json")
            self.assertEqual(json.loads(await c.ws.recv())["error"]["code"], -32700)
            await c.ws.send(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "no.such"}))
            self.assertEqual(json.loads(await c.ws.recv())["error"]["code"], -32601)
            await c.ws.send(json.dumps({"jsonrpc": "2.0", "id": 6, "method": "computer.attach",
                                        "params": {"token": TOKEN, "create": {"position": [1, 2]}}}))
            bad = json.loads(await c.ws.recv())
            self.assertEqual(bad["error"]["code"], -32602)
            self.assertIn("position", bad["error"]["message"])
            await c.ws.send("[" * 100000)
            self.assertIn(json.loads(await c.ws.recv())["error"]["code"], (-32700, -32600, -32005))
            await c.ws.send(json.dumps([{"jsonrpc": "2.0", "id": 8, "method": "world.list"},
                                        {"jsonrpc": "2.0", "method": "world.list"}]))
            batch = json.loads(await c.ws.recv())
            self.assertEqual([r["id"] for r in batch], [8])
            self.assertIn("computers", result(await c.call("world.list")))
        self.run_async(scenario())

    def test_http_health_and_metrics(self):
        host, port = self.daemon.http.rsplit(":", 1)
        for path, expected in (("/healthz", "ok"), ("/metrics", "redrund_computers")):
            with socket.create_connection((host, int(port)), timeout=10) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                body = b""
                while chunk := s.recv(65536):
                    body += chunk
            self.assertIn(b"200", body.split(b"\r\n")[0])
            self.assertIn(expected.encode(), body)


class RestartTest(unittest.TestCase):
    def test_restart_restores_the_world_and_files_and_sigterm_is_clean(self):
        with tempfile.TemporaryDirectory() as data:
            first = Daemon(data)

            async def write():
                c = await Client.connect(first.ws)
                me = result(await c.call("computer.attach", token=TOKEN,
                                         create={"label": "keeper", "position": [3, 70, 3]}))
                result(await c.call("fs.write", id=me["id"], path="notes.txt", data="kept across restarts"))
                return me["id"]
            computer_id = asyncio.run(write())
            self.assertEqual(first.stop(), 0)

            second = Daemon(data)
            try:
                async def read():
                    c = await Client.connect(second.ws)
                    me = result(await c.call("computer.attach", token=TOKEN, label="keeper"))
                    self.assertEqual(me["id"], computer_id)
                    self.assertEqual(result(await c.call("fs.read", id=me["id"], path="notes.txt")),
                                     "kept across restarts")
                    listed = result(await c.call("world.list"))["computers"]
                    self.assertTrue(any(x.get("label") == "gps-north" for x in listed))
                asyncio.run(read())
            finally:
                self.assertEqual(second.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
