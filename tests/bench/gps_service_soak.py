#!/usr/bin/env python3
"""Soak run of the long-running GPS host service: `redrund serve` on its default world (four
GPS hosts running as RedRun tasks) with N WebSocket clients, each attached to its own
computer, calling `gps.locate` in a closed loop for a while.

Prints locates per second, how many were exact, latency percentiles, and the daemon's RSS at
the start and the end of the run (the baseline: memory must not grow with the number of
locates served). Run by hand; ctest runs a short smoke.

It fails (exit 1) unless every locate returned the computer's exact position, every client
located at least once more during the run, the daemon's RSS at the end is within the stated
bound of its RSS after warm-up (--rss-growth-max, default 10 % plus 4 MiB for allocator
slack), and the daemon then stops cleanly (exit status 0).

Usage: gps_service_soak.py REDRUND [--clients N] [--seconds S] [--rss-growth-max RATIO]
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("redrund")
parser.add_argument("--clients", type=int, default=20)
parser.add_argument("--seconds", type=float, default=60)
parser.add_argument("--rss-growth-max", type=float, default=0.10,
                    help="allowed RSS growth over the run, as a fraction of the RSS after warm-up (plus 4 MiB)")
args = parser.parse_args()

# The integration test's daemon and client helpers take the binary from argv[1].
sys.argv = [sys.argv[0], args.redrund]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from serve_test import TOKEN, Client, Daemon, result, run_async, wait_for_gps_hosts  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def attach(address, index):
    """A client on its own computer at a distinct position, warmed up with one locate."""
    position = [index % 40 - 20, 70 + index % 20, index // 40 * 3 - 20]
    client = await Client.connect(address)
    attached = result(await client.call("computer.attach", token=TOKEN, events=[],
                                        create={"label": f"soak-{index}", "position": position,
                                                "modems": [{"side": "top", "type": "wireless"}]}))
    result(await client.call("gps.locate", id=attached["id"], timeout=10))
    return client, attached["id"], position


async def locate_loop(client, computer, position, until, latencies, wrong, per_client):
    per_client[computer] = 0
    while time.time() < until:
        start = time.time()
        fix = result(await client.call("gps.locate", id=computer, timeout=10))
        latencies.append(time.time() - start)
        per_client[computer] += 1
        if fix is None or [fix["x"], fix["y"], fix["z"]] != position:
            wrong.append(fix)


async def soak(daemon):
    await wait_for_gps_hosts(daemon.ws)
    clients = await asyncio.gather(*(attach(daemon.ws, i) for i in range(args.clients)))
    # The baseline: every computer exists and has located once.
    rss_start = rss_kib(daemon.process.pid)
    latencies, wrong, samples, per_client = [], [], [], {}
    until = time.time() + args.seconds
    started = time.time()

    async def sample_rss():
        while time.time() < until:
            await asyncio.sleep(min(10.0, args.seconds / 4))
            samples.append(f"{rss_kib(daemon.process.pid) / 1024:.1f}")

    await asyncio.gather(sample_rss(), *(locate_loop(*c, until, latencies, wrong, per_client) for c in clients))
    elapsed = time.time() - started
    rss_end = rss_kib(daemon.process.pid)
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(f"gps service: {args.clients} clients, {len(latencies)} locates in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.1f}/s), {len(latencies) - len(wrong)} exact")
    print(f"gps service: locate latency p50 {percentile(0.5):.0f} ms, p95 {percentile(0.95):.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms (real time: a locate waits for the hosts' replies)")
    print(f"gps service: daemon RSS {rss_start / 1024:.1f} MiB after warm-up, {rss_end / 1024:.1f} MiB at the "
          f"end (ratio {rss_end / rss_start:.3f}); during the run: {' '.join(samples)} MiB")
    failures = []
    if wrong:
        failures.append(f"{len(wrong)} locates did not return the exact position, e.g. {wrong[:3]}")
    idle = [computer for computer, count in per_client.items() if count == 0]
    if len(per_client) != args.clients or idle:
        failures.append(f"clients that never located during the run: {idle}")
    rss_bound = rss_start * (1 + args.rss_growth_max) + 4096
    if rss_start <= 0 or rss_end > rss_bound:
        failures.append(f"daemon RSS grew from {rss_start} KiB to {rss_end} KiB (bound {rss_bound:.0f} KiB)")
    return failures


def main():
    with tempfile.TemporaryDirectory() as data:
        daemon = Daemon(data)
        try:
            failures = run_async(soak(daemon))
        finally:
            status = daemon.stop()
    if status != 0:
        failures.append(f"the daemon exited with status {status} on SIGTERM")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
