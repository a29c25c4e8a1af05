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
import threading
import time
import unittest

import jsonschema
import websockets

REDRUND = sys.argv.pop(1) if len(sys.argv) > 1 else "build/redrund"
TOKEN = "test-token"
ADMIN = "admin-token"
PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
with open(os.path.join(PROTO, "notifications.schema.json"), encoding="utf-8") as schema_file:
    NOTIFICATIONS_SCHEMA = json.load(schema_file)
jsonschema.Draft202012Validator.check_schema(NOTIFICATIONS_SCHEMA)
NOTIFICATIONS = jsonschema.Draft202012Validator(NOTIFICATIONS_SCHEMA)


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
                # Keep reading the log so the daemon never blocks on a full pipe.
                threading.Thread(target=self._drain, daemon=True).start()
                return
        raise RuntimeError("daemon did not start: " + "".join(self.log))

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)
            del self.log[:-200]

    def metric(self, name):
        """The value of one metric from /metrics (0 when absent)."""
        for line in http_get(self.http, "/metrics").decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        return self.process.wait(timeout=30)


def http_get(address, path):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        body = b""
        while chunk := s.recv(65536):
            body += chunk
    return body


class Client:
    """A JSON-RPC client over WebSocket that keeps notifications apart from responses."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.notifications = []

    opened = []  # closed by run_async, so no test waits out an unanswered close handshake

    @classmethod
    async def connect(cls, address):
        client = cls(await websockets.connect("ws://" + address, max_size=None, close_timeout=1))
        cls.opened.append(client)
        return client

    @classmethod
    async def close_all(cls):
        while cls.opened:
            await cls.opened.pop().ws.close()

    async def call(self, method, timeout=30, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        return await self.response(self.next_id, timeout)

    async def receive(self, deadline):
        return json.loads(await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.time())))

    def keep(self, message):
        """Every notification the server sends must match proto/notifications.schema.json."""
        errors = [e.message for e in NOTIFICATIONS.iter_errors(message)]
        assert not errors, (message, errors)
        self.notifications.append(message)

    async def response(self, wanted_id, timeout=30):
        deadline = time.time() + timeout
        while True:
            message = await self.receive(deadline)
            if "id" in message and message["id"] == wanted_id:
                return message
            self.keep(message)

    async def wait_notification(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while True:
            for n in self.notifications:
                if predicate(n):
                    self.notifications.remove(n)
                    return n
            self.keep(await self.receive(deadline))


def run_async(coroutine):
    async def run_and_close():
        try:
            return await coroutine
        finally:
            await Client.close_all()
    return asyncio.run(run_and_close())


async def wait_for_gps_hosts(address):
    """The configured GPS hosts (computers 1-4) have their `gps host` task running."""
    c = await Client.connect(address)
    deadline = time.time() + 30
    for host in (1, 2, 3, 4):
        result(await c.call("computer.attach", token=TOKEN, id=host, events=[]))
        while not any(t["status"] == "running" for t in result(await c.call("task.list", id=host))):
            assert time.time() < deadline, "the GPS hosts did not start"
            await asyncio.sleep(0.05)


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
        return run_async(coroutine)

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
            await wait_for_gps_hosts(self.daemon.ws)
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

    def test_task_notifications(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            me = result(await c.call("computer.attach", token=TOKEN, create={"position": [0, 64, 5]}))
            other = await Client.connect(self.daemon.ws)
            result(await other.call("computer.attach", token=TOKEN, create={"position": [0, 64, 6]}))
            files = {"quick.lua": "sleep(0.1)", "broken.lua": "sleep(0.1) error('broken on purpose')",
                     "forever.lua": "while true do sleep(1) end"}
            for path, code in files.items():
                result(await c.call("fs.write", id=me["id"], path=path, data=code))

            async def start(name, command, restart="never"):
                return result(await c.call("task.start", id=me["id"], name=name, command=command, restart=restart))

            async def ended(task_id):
                return (await c.wait_notification(
                    lambda n: n.get("method") == "task" and n["params"]["id"] == task_id, timeout=10))["params"]

            quick, broken = await start("quick", "quick"), await start("broken", "broken")
            self.assertEqual(await ended(quick), {"computer": me["id"], "id": quick, "name": "quick", "status": "finished"})
            failed = await ended(broken)
            self.assertEqual((failed["status"], failed["name"]), ("errored", "broken"))
            self.assertIn("broken on purpose", failed["error"])

            forever = await start("forever", "forever")
            result(await c.call("lua.eval", id=me["id"], code="sleep(0.2)"))
            result(await c.call("task.kill", id=me["id"], task=forever))
            self.assertEqual((await ended(forever))["status"], "killed")

            # Under "on-error" a failure is reported as restarting, and the task comes back.
            again = await start("again", "broken", "on-error")
            restarting = await ended(again)
            self.assertEqual(restarting["status"], "restarting")
            self.assertIn("broken on purpose", restarting["error"])
            self.assertEqual((await ended(again))["status"], "restarting")  # after its 1 s backoff
            result(await c.call("task.terminate", id=me["id"], task=again))
            self.assertEqual((await ended(again))["status"], "terminated")

            # A task started by a program on the computer is reported too.
            started = result(await c.call("lua.eval", id=me["id"],
                                          code="local id = require('redrun').start(function() sleep(0.1) end, 'inner') "
                                               "os.queueEvent('go') return id"))  # it runs at the next event
            self.assertEqual((await ended(started[0]))["name"], "inner")

            # Tasks still running when their computer reboots are reported stopped.
            lasting = await start("lasting", "forever")
            result(await c.call("lua.eval", id=me["id"], code="sleep(0.2)"))
            rebooter = await Client.connect(self.daemon.ws)
            result(await rebooter.call("computer.attach", token=TOKEN, id=me["id"], events=[]))
            rebooted = await rebooter.call("lua.eval", id=me["id"], code="os.reboot()")
            self.assertIn("computer is off", rebooted["error"]["message"])  # the chunk ends with it
            self.assertEqual(await ended(lasting), {"computer": me["id"], "id": lasting, "name": "lasting",
                                                    "status": "stopped"})

            bad = await c.call("task.start", id=me["id"], name="x", command="quick", restart="sometimes")
            self.assertEqual(bad["error"]["code"], -32602)
            self.assertIn("restart", bad["error"]["message"])
            # The other client is attached to another computer: it heard about none of this.
            result(await other.call("world.list"))
            self.assertEqual([n for n in other.notifications if n["method"] == "task"], [])
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

    def test_the_readme_example_works(self):
        """The README's "talk to it within a minute" client, run as written against this daemon."""
        run_async(wait_for_gps_hosts(self.daemon.ws))
        with open(os.path.join(PROTO, "..", "README.md"), encoding="utf-8") as f:
            readme = f.read()
        start = readme.index("    import asyncio, json, websockets")
        end = readme.index("    asyncio.run(main())", start) + len("    asyncio.run(main())")
        code = "\n".join(line[4:] for line in readme[start:end].splitlines())
        code = code.replace("ws://127.0.0.1:7161", "ws://" + self.daemon.ws).replace('"redrund-dev"', repr(TOKEN))
        ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(ran.returncode, 0, ran.stderr)
        lines = ran.stdout.splitlines()
        self.assertEqual(len(lines), 2, ran.stdout)
        self.assertIn("'result': {'x': 5, 'y': 64, 'z': -7}", lines[0])
        self.assertIn("'result': ['CraftOS 1.9']", lines[1])

    def test_http_health_and_metrics(self):
        for path, expected in (("/healthz", "ok"), ("/metrics", "redrund_computers")):
            body = http_get(self.daemon.http, path)
            self.assertIn(b"200", body.split(b"\r\n")[0])
            self.assertIn(expected.encode(), body)


class EmptyWorldTest(unittest.TestCase):
    def test_a_world_whose_computers_were_all_removed_restarts_empty(self):
        with tempfile.TemporaryDirectory() as data:
            first = Daemon(data)

            async def remove_all():
                c = await Client.connect(first.ws)
                for computer in result(await c.call("world.list"))["computers"]:
                    self.assertTrue(result(await c.call("world.remove", id=computer["id"], admin_token=ADMIN)))
            run_async(remove_all())
            self.assertEqual(first.stop(), 0)
            second = Daemon(data)  # not the configured GPS world again: the saved, empty one

            async def listed():
                c = await Client.connect(second.ws)
                return result(await c.call("world.list"))["computers"]
            try:
                self.assertEqual(run_async(listed()), [])
            finally:
                self.assertEqual(second.stop(), 0)


# Small limits so the overload cases are reached in milliseconds.
LIMITS_CONFIG = {
    "net": {"frame_bytes_max": 4096, "outbound_messages_max": 64, "outbound_bytes_max": 65536,
            "connections_max": 6, "messages_per_second": 20, "burst_messages": 20},
    "inbox_messages_max": 24,  # more than one client's burst, fewer than two
    "world": {"computers": [{"id": 1, "label": "idle", "position": [0, 64, 0]}]},
}


def tcp_lines_until_closed(sock, timeout=20):
    """Every line a TCP connection still delivers, until the server closes it."""
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(1 << 20):
        data += chunk
    return [line for line in data.split(b"\n") if line]


class SmallLimitsDaemon(unittest.TestCase):
    """A daemon with the configuration CONFIG (small limits), shared by a class's tests."""

    CONFIG = LIMITS_CONFIG

    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.TemporaryDirectory()
        config = os.path.join(cls.data.name, "limits.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(cls.CONFIG, f)
        cls.daemon = Daemon(os.path.join(cls.data.name, "state"), ["--config", config])

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.data.cleanup()

    def setUp(self):
        # Every test starts with no connections (earlier tests' closes have completed).
        self.assertTrue(wait_until(lambda: self.daemon.metric("redrund_net_connections") == 0))

    async def attached(self, position):
        client = await Client.connect(self.daemon.ws)
        me = result(await client.call("computer.attach", token=TOKEN, create={"position": position}, events=["none"]))
        return client, me["id"]


class LimitsTest(SmallLimitsDaemon):
    """Bad input and overload through the real daemon, with a configuration of small limits."""

    def test_connections_over_the_maximum_are_refused_with_a_reason(self):
        async def scenario():
            held = [await Client.connect(self.daemon.ws) for _ in range(LIMITS_CONFIG["net"]["connections_max"])]
            refused = await websockets.connect("ws://" + self.daemon.ws, close_timeout=1)
            with self.assertRaises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(refused.recv(), 10)
            self.assertEqual((closed.exception.rcvd.code, closed.exception.rcvd.reason), (1013, "too many connections"))
            tcp = TcpClient(self.daemon.tcp)
            lines = tcp_lines_until_closed(tcp.sock)
            self.assertEqual([json.loads(line)["error"] for line in lines],
                             [{"code": -32004, "message": "too many connections"}])
            tcp.sock.close()
            self.assertGreaterEqual(self.daemon.metric("redrund_net_rejected_total"), 2)
            # A slot that frees up is usable again.
            await held.pop().ws.close()
            Client.opened.pop()
            self.assertTrue(wait_until(lambda: self.daemon.metric("redrund_net_connections") < len(held) + 1))
            again = await Client.connect(self.daemon.ws)
            self.assertIn("computers", result(await again.call("world.list")))
        run_async(scenario())

    def test_oversized_frames(self):
        async def scenario():
            # WebSocket: the frame is refused while it arrives, with close code 1009.
            c = await Client.connect(self.daemon.ws)
            await c.ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "world.list", "params": {"x": "y" * 5000}}))
            with self.assertRaises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(c.ws.recv(), 10)
            self.assertEqual(closed.exception.rcvd.code, 1009)
        run_async(scenario())
        # TCP: the line is dropped with a -32005 error and the connection stays usable.
        tcp = TcpClient(self.daemon.tcp)
        tcp.send_line(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "world.list", "params": {"x": "y" * 5000}}))
        error = tcp.read()
        self.assertEqual((error["id"], error["error"]["code"]), (None, -32005))
        self.assertIn("computers", result(tcp.call("world.list", 2)))
        tcp.sock.close()

    def test_too_deep_values(self):
        async def scenario():
            c, me = await self.attached([1, 64, 0])
            deep = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "lua.eval",
                               "params": {"id": me, "code": "return ...", "args": [[[[[[[[1]]]]]]]]}})
            too_deep = deep.replace("[[[[[[[[1]]]]]]]]", "[" * 70 + "1" + "]" * 70)
            await c.ws.send(too_deep)
            error = json.loads(await c.ws.recv())
            self.assertEqual(error["error"]["code"], -32005, error)
            await c.ws.send(deep)  # 8 levels are fine
            self.assertEqual(result(await c.response(7)), [[[[[[[[1]]]]]]]])
            # A result too deep to encode is an error of that call only.
            nested = await c.call("lua.eval", id=me, code="local t = {} for i = 1, 300 do t = { t } end return t")
            self.assertEqual(nested["error"]["code"], -32000, nested)
            self.assertEqual(result(await c.call("lua.eval", id=me, code="return 'fine'")), ["fine"])
        run_async(scenario())

    def test_rate_limit_answers_errors_and_the_connection_stays_usable(self):
        async def scenario():
            c = await Client.connect(self.daemon.ws)
            sent = 3 * LIMITS_CONFIG["net"]["burst_messages"]
            for i in range(sent):
                await c.ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "world.list"}))
            replies = [json.loads(await asyncio.wait_for(c.ws.recv(), 10)) for _ in range(sent)]
            limited = [r for r in replies if "error" in r]
            self.assertGreaterEqual(len(limited), sent - LIMITS_CONFIG["net"]["burst_messages"] - 5)
            self.assertEqual({(r["id"], r["error"]["code"], r["error"]["message"]) for r in limited},
                             {(None, -32004, "rate limited")})
            await asyncio.sleep(1.1)  # the bucket refills
            self.assertIn("computers", result(await c.call("world.list")))
        run_async(scenario())

    def test_a_client_that_does_not_read_is_dropped_and_others_keep_working(self):
        async def scenario():
            fast, fast_id = await self.attached([2, 64, 0])
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            host, port = self.daemon.tcp.rsplit(":", 1)
            slow.connect((host, int(port)))
            slow_file = slow.makefile("rwb")
            slow_file.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "computer.attach", "params": {
                "token": TOKEN, "create": {"position": [3, 64, 0]}}}).encode() + b"\n")
            slow_file.flush()
            slow_id = json.loads(slow_file.readline())["result"]["id"]
            # 32 MB of event notifications for a client that reads none of them.
            flood = ("local s = string.rep('x', 16384) "
                     "for i = 1, 2000 do os.queueEvent('flood', s) os.pullEvent('flood') end")
            slow.sendall(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "lua.eval",
                                     "params": {"id": slow_id, "code": flood}}).encode() + b"\n")
            deadline = time.time() + 30
            while self.daemon.metric("redrund_net_slow_clients_dropped_total") < 1:
                self.assertLess(time.time(), deadline, "the slow client was not dropped")
                started = time.time()
                self.assertEqual(result(await fast.call("lua.eval", id=fast_id, code="return 1")), [1])
                self.assertLess(time.time() - started, 5)
            # What the slow client still gets ends with the notice, then the connection closes.
            lines = tcp_lines_until_closed(slow)
            slow.close()
            last = json.loads(lines[-1])
            self.assertEqual(last["error"]["code"], -32005, last)
            self.assertIn("slow client", last["error"]["message"])
            self.assertFalse(list(NOTIFICATIONS.iter_errors(last)))
            self.assertEqual(result(await fast.call("lua.eval", id=fast_id, code="return 2")), [2])
        run_async(scenario())

    def test_a_runaway_computer_does_not_stall_other_clients(self):
        async def scenario():
            busy, busy_id = await self.attached([4, 64, 0])
            other, other_id = await self.attached([5, 64, 0])
            # A task that never waits for anything real: it uses its computer's whole event
            # budget every tick. Other computers' requests still run between its events.
            result(await busy.call("fs.write", id=busy_id, path="spin.lua",
                                   data="while true do os.queueEvent('spin') os.pullEvent('spin') end"))
            spinner = result(await busy.call("task.start", id=busy_id, name="spin", command="spin"))
            try:
                for _ in range(10):
                    started = time.time()
                    self.assertEqual(result(await other.call("lua.eval", id=other_id, code="return 1")), [1])
                    self.assertLess(time.time() - started, 1.0)
                # A chunk that never yields is paused every slice (slice_instructions) and
                # continued a few slices per tick: the other client is answered while it still
                # runs, long before "Too long without yielding" ends it.
                await busy.ws.send(json.dumps({"jsonrpc": "2.0", "id": 50, "method": "lua.eval",
                                               "params": {"id": busy_id, "code": "while true do end"}}))
                started = time.time()

                async def busy_outcome():
                    response = await busy.response(50)
                    return response, time.time()

                busy_done = asyncio.create_task(busy_outcome())
                for n in range(3):
                    self.assertEqual(result(await other.call("lua.eval", id=other_id, code=f"return {n}")), [n])
                answered = time.time()
                self.assertLess(answered - started, 1.0)
                stopped, stopped_at = await busy_done
                # Without preemption the runaway ends first and only then are the others served.
                self.assertGreater(stopped_at - answered, 0.3)
                self.assertGreater(self.daemon.metric("redrund_preemptions_total"), 10)
                self.assertEqual(stopped["error"]["code"], -32000)
                self.assertIn("Too long without yielding", stopped["error"]["message"])
            finally:
                result(await busy.call("task.kill", id=busy_id, task=spinner))
        run_async(scenario())


class UnpreemptedLimitsTest(SmallLimitsDaemon):
    """The inbox limit, reached while preemption is off and a runaway chunk holds the simulation."""

    CONFIG = {**LIMITS_CONFIG, "slice_instructions": 0}

    def test_a_full_inbox_refuses_messages_with_an_error(self):
        async def scenario():
            busy, busy_id = await self.attached([6, 64, 0])
            senders = [await Client.connect(self.daemon.ws) for _ in range(2)]
            # With preemption off, a chunk that never yields holds the simulation thread; two
            # clients' bursts (each allowed by the rate limit) do not both fit in the inbox.
            await busy.ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "lua.eval",
                                           "params": {"id": busy_id, "code": "while true do end"}}))
            await asyncio.sleep(0.1)
            burst = LIMITS_CONFIG["net"]["burst_messages"]
            for sender in senders:
                for i in range(burst):
                    await sender.ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "world.list"}))
            replies = [json.loads(await asyncio.wait_for(s.ws.recv(), 20)) for s in senders for _ in range(burst)]
            refused = [r for r in replies if "error" in r]
            self.assertGreaterEqual(len(refused), 2 * burst - LIMITS_CONFIG["inbox_messages_max"])
            self.assertEqual({(r["id"], r["error"]["code"]) for r in refused}, {(None, -32004)})
            self.assertTrue(wait_until(lambda: self.daemon.metric("redrund_inbox_refused_total") >= len(refused)))
            self.assertEqual((await busy.response(1))["error"]["code"], -32000)
            self.assertIn("computers", result(await senders[0].call("world.list")))
        run_async(scenario())


# A task program that notes each start in a file, then runs until it is stopped.
COUNTING_TASK = """local name = ...
local h = fs.open(name .. ".runs", "a") h.writeLine("started") h.close()
while true do sleep(1) end"""


def saved_tasks(data, computer_id):
    """The tasks world.json keeps for one computer, as (name, run, restart)."""
    with open(os.path.join(data, "world.json"), encoding="utf-8") as f:
        for c in json.load(f)["computers"]:
            if c["id"] == computer_id:
                return sorted((t["name"], t["run"], t["restart"]) for t in c.get("tasks", []))
    return None


def wait_until(predicate, timeout=10):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


class RestartTest(unittest.TestCase):
    def test_restart_restores_the_world_files_and_started_tasks(self):
        with tempfile.TemporaryDirectory() as data:
            first = Daemon(data)

            async def write():
                c = await Client.connect(first.ws)
                me = result(await c.call("computer.attach", token=TOKEN,
                                         create={"label": "keeper", "position": [3, 70, 3]}))
                result(await c.call("fs.write", id=me["id"], path="notes.txt", data="kept across restarts"))
                result(await c.call("fs.write", id=me["id"], path="count.lua", data=COUNTING_TASK))
                result(await c.call("task.start", id=me["id"], name="kept", command="count kept", restart="on-error"))
                gone = result(await c.call("task.start", id=me["id"], name="gone", command="count gone"))
                result(await c.call("lua.eval", id=me["id"], code="sleep(0.2)"))  # both have started
                result(await c.call("task.kill", id=me["id"], task=gone))
                return me["id"]
            computer_id = run_async(write())
            self.assertTrue(wait_until(lambda: saved_tasks(data, computer_id) == [("kept", "count kept", "on-error")]),
                            saved_tasks(data, computer_id))
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
                    # The kept task was started again at boot (its second start is in its file);
                    # the killed one was not.
                    result(await c.call("lua.eval", id=me["id"], code="sleep(0.2)"))
                    tasks = result(await c.call("task.list", id=me["id"]))
                    self.assertEqual([(t["name"], t["status"]) for t in tasks], [("kept", "running")], tasks)
                    self.assertEqual(result(await c.call("fs.read", id=me["id"], path="kept.runs")),
                                     "started\nstarted\n")
                    self.assertEqual(result(await c.call("fs.read", id=me["id"], path="gone.runs")), "started\n")
                    # Killing it now removes it from the saved world as well.
                    result(await c.call("task.kill", id=me["id"], task=tasks[0]["id"]))
                run_async(read())
                self.assertTrue(wait_until(lambda: saved_tasks(data, computer_id) == []), saved_tasks(data, computer_id))
                # The configured GPS hosts keep exactly their one boot task each.
                self.assertEqual(saved_tasks(data, 1), [("gps", "gps host 0 200 -40", "on-error")])
            finally:
                self.assertEqual(second.stop(), 0)


    def test_kill_9_at_any_moment_keeps_closed_files_and_a_valid_world(self):
        """SIGKILL while clients create computers and programs write files: every restart finds
        a world it can load, each file a program had closed, and the computers saved before."""
        with tempfile.TemporaryDirectory() as data:
            closed = {}  # computer id -> contents of files closed before the kill

            async def churn(daemon, round_number):
                c = await Client.connect(daemon.ws)
                for i in range(4):
                    me = result(await c.call("computer.attach", token=TOKEN,
                                             create={"label": f"r{round_number}-{i}", "position": [i, 64, round_number]}))
                    text = f"round {round_number} computer {i} " + "x" * 2000
                    result(await c.call("fs.write", id=me["id"], path="closed.txt", data=text))
                    closed[me["id"]] = text
                    # A program that keeps rewriting a file while the kill comes.
                    await c.ws.send(json.dumps({"jsonrpc": "2.0", "id": 1000 + i, "method": "lua.eval", "params": {
                        "id": me["id"], "code": "for n = 1, 1e9 do local h = fs.open('busy.txt', 'w') "
                                                "h.write(('y'):rep(4096)) h.close() sleep(0) end"}}))

            for round_number, delay in enumerate((0.0, 0.05, 0.2, 0.35)):
                daemon = Daemon(data)
                try:
                    run_async(churn(daemon, round_number))
                    time.sleep(delay)
                finally:
                    daemon.process.kill()
                    daemon.process.wait(timeout=30)
                # The world file is always a whole document (replaced atomically).
                with open(os.path.join(data, "world.json"), encoding="utf-8") as f:
                    json.load(f)

            final = Daemon(data)
            try:
                async def check():
                    c = await Client.connect(final.ws)
                    listed = {x["id"] for x in result(await c.call("world.list"))["computers"]}
                    saved = [cid for cid in closed if cid in listed]
                    # Each round's computers are saved within a loop pass of their creation; the
                    # round killed at once may lose its last ones ("the last moments"), no more.
                    self.assertGreaterEqual(len(saved), len(closed) - 4, (sorted(listed), sorted(closed)))
                    for cid in saved:
                        result(await c.call("computer.attach", token=TOKEN, id=cid, events=[]))
                        self.assertEqual(result(await c.call("fs.read", id=cid, path="closed.txt")), closed[cid])
                run_async(check())
            finally:
                self.assertEqual(final.stop(), 0)

if __name__ == "__main__":
    unittest.main(verbosity=2)
