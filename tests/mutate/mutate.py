#!/usr/bin/python3
"""Mutation check for the redrund test suite (not part of CI).

Copies the repository (the files git knows of, tracked or not ignored, or with --rev the tree
of a commit; plus .deps/) into a scratch directory, builds it and runs the suite once (the
baseline must pass), then applies each mutation of mutations.json alone (an exact `find` text,
which must occur exactly once in its file, replaced by `replace`), rebuilds incrementally,
runs ctest and restores the file. A mutation is killed when the build fails (reported apart:
weak evidence), a test fails, or the suite runs longer than the timeout. Prints a table and
the score; exit status 0 when at least 90 % are killed, 1 otherwise, 2 on a usage error or a
stale mutation list.

usage: tests/mutate/mutate.py [--work DIR] [--rev REV] [--only ID,...] [--jobs N] [--list]
"""
import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
THRESHOLD = 0.90
SUITE_TIMEOUT = 300   # seconds for one ctest run; longer counts as killed (a hang)
BUILD_TIMEOUT = 3600  # a header mutation can rebuild most of the tree on 2 cores

Snapshot = dict[str, tuple[bytes, int]]  # path in the repository -> (contents, mode)


def fail(msg: str, code: int = 2):
    print(f"mutate: {msg}", file=sys.stderr)
    sys.exit(code)


def git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True).stdout


def snapshot(rev: str | None) -> Snapshot:
    """The sources to build: the working tree's files git knows of, or commit rev's tree; and
    .deps/ (the Lua sources bootstrap.sh fetched, which git ignores)."""
    files: Snapshot = {}
    if rev:
        with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", rev))) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    files[member.name] = (tar.extractfile(member).read(), member.mode)
    else:
        for rel in git("ls-files", "-z", "--cached", "--others", "--exclude-standard").decode().split("\0"):
            if rel and (REPO / rel).is_file():
                files[rel] = ((REPO / rel).read_bytes(), (REPO / rel).stat().st_mode & 0o777)
    for dirpath, _, names in os.walk(REPO / ".deps"):
        for n in names:
            p = Path(dirpath, n)
            files[str(p.relative_to(REPO))] = (p.read_bytes(), p.stat().st_mode & 0o777)
    return files


def load_mutations(files: Snapshot) -> list[dict]:
    """The mutation list, each anchor checked against the snapshot: it must occur once."""
    mutations = json.loads((HERE / "mutations.json").read_text(encoding="utf-8"))
    problems, seen = [], set()
    for m in mutations:
        missing = {"id", "file", "find", "replace", "why"} - m.keys()
        if missing:
            problems.append(f"{m.get('id', '?')}: missing {sorted(missing)}")
            continue
        if m["id"] in seen:
            problems.append(f"{m['id']}: duplicate id")
        seen.add(m["id"])
        if m["file"] not in files:
            problems.append(f"{m['id']}: no file {m['file']}")
            continue
        count = files[m["file"]][0].count(m["find"].encode())
        if count != 1:
            problems.append(f"{m['id']}: `find` occurs {count} times in {m['file']} (must be once)")
        if m["find"] == m["replace"]:
            problems.append(f"{m['id']}: `replace` equals `find`")
    if problems:
        fail("stale or invalid mutations.json:\n  " + "\n  ".join(problems))
    return mutations


def sync(files: Snapshot, src: Path) -> None:
    """Makes src hold exactly the snapshot, rewriting only files whose content differs (with a
    fresh mtime, so make rebuilds them): a reused work directory builds incrementally."""
    for rel, (data, mode) in files.items():
        target = src / rel
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        target.chmod(mode)
    for dirpath, _, names in os.walk(src):
        for n in names:
            if str(Path(dirpath, n).relative_to(src)) not in files:
                Path(dirpath, n).unlink()


def run(cmd: list[str], timeout: int, log: Path) -> tuple[int | None, str]:
    """Runs cmd in its own process group; (None, output) when it timed out."""
    with open(log, "w+") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
        f.seek(0)
        return rc, f.read()


def failed_tests(output: str) -> list[str]:
    """Failed test names, from ctest's progress lines (present even when the run timed out)."""
    return re.findall(r"Test +#\d+: (.+?) \.{3,}[^\n]*?\*\*\*", output)


class Runner:
    def __init__(self, work: Path, jobs: int):
        self.src, self.build, self.logs = work / "src", work / "build", work / "logs"
        self.jobs = jobs

    def build_tree(self, log: Path) -> int | None:
        rc, _ = run(["cmake", "--build", str(self.build), "-j", str(self.jobs)], BUILD_TIMEOUT, log)
        return rc

    def suite(self, log: Path, stop_on_failure: bool = True) -> tuple[int | None, str]:
        cmd = ["ctest", "--test-dir", str(self.build), "-j", str(self.jobs), "--output-on-failure"]
        return run(cmd + (["--stop-on-failure"] if stop_on_failure else []), SUITE_TIMEOUT, log)

    def baseline(self, files: Snapshot) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        print(f"baseline: copying the sources to {self.src}", flush=True)
        sync(files, self.src)
        t0 = time.monotonic()
        rc, _ = run(["cmake", "-S", str(self.src), "-B", str(self.build)], 600, self.logs / "configure.log")
        if rc != 0:
            fail(f"baseline configure failed, see {self.logs / 'configure.log'}", 1)
        if self.build_tree(self.logs / "baseline-build.log") != 0:
            fail(f"baseline build failed, see {self.logs / 'baseline-build.log'}", 1)
        rc, out = self.suite(self.logs / "baseline-test.log", stop_on_failure=False)
        if rc != 0:
            names = ", ".join(failed_tests(out)) or ("timeout" if rc is None else "?")
            fail(f"baseline suite does not pass ({names}); see {self.logs / 'baseline-test.log'}", 1)
        print(f"baseline: built and passed in {time.monotonic() - t0:.0f} s", flush=True)

    def mutate(self, m: dict) -> dict:
        path = self.src / m["file"]
        original = path.read_bytes()
        t0 = time.monotonic()
        try:
            path.write_bytes(original.replace(m["find"].encode(), m["replace"].encode(), 1))
            brc = self.build_tree(self.logs / f"{m['id']}-build.log")
            if brc != 0:
                result, tests = "killed (compiler)" if brc is not None else "killed (build timeout)", []
            else:
                rc, out = self.suite(self.logs / f"{m['id']}-test.log")
                if rc is None:
                    result, tests = "killed (timeout)", failed_tests(out)
                elif rc != 0:
                    result, tests = "killed", failed_tests(out)
                else:
                    result, tests = "SURVIVED", []
        finally:
            path.write_bytes(original)  # a fresh mtime: the next build compiles it back
        return {"id": m["id"], "file": m["file"], "result": result, "tests": tests,
                "seconds": round(time.monotonic() - t0), "why": m["why"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", default="/tmp/redrund-mutate", help="scratch directory (reused)")
    ap.add_argument("--rev", help="check this commit instead of the working tree")
    ap.add_argument("--only", help="comma-separated mutation ids")
    ap.add_argument("--jobs", type=int, default=2, help="build and ctest parallelism")
    ap.add_argument("--list", action="store_true", help="check and list the mutations, run nothing")
    args = ap.parse_args()

    files = snapshot(args.rev)
    mutations = load_mutations(files)
    if args.only:
        ids = args.only.split(",")
        unknown = set(ids) - {m["id"] for m in mutations}
        if unknown:
            fail(f"unknown ids: {', '.join(sorted(unknown))}")
        mutations = [m for m in mutations if m["id"] in ids]
    if args.list:
        for m in mutations:
            print(f"{m['id']:<36} {m['file']:<34} {m['why']}")
        print(f"{len(mutations)} mutations, anchors ok")
        return 0

    work = Path(args.work).resolve()
    if work == REPO or REPO in work.parents:
        fail("--work must be outside the repository")
    runner = Runner(work, args.jobs)
    started = time.monotonic()
    runner.baseline(files)
    results = []
    for i, m in enumerate(mutations, 1):
        r = runner.mutate(m)
        results.append(r)
        print(f"[{i}/{len(mutations)}] {r['id']}: {r['result']} {' '.join(r['tests'][:3])} ({r['seconds']} s)",
              flush=True)
    # Rebuild the restored tree so the scratch build matches the sources again.
    runner.build_tree(runner.logs / "final-build.log")
    (work / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    print(f"\n{'id':<36} {'result':<20} first failing tests")
    for r in results:
        print(f"{r['id']:<36} {r['result']:<20} {', '.join(r['tests'][:3])}")
    killed = [r for r in results if r["result"].startswith("killed")]
    by_compiler = [r for r in killed if "compiler" in r["result"]]
    survived = [r for r in results if r["result"] == "SURVIVED"]
    pct = 100.0 * len(killed) / len(results) if results else 0.0
    print(f"\nscore: killed {len(killed)}/{len(results)} ({pct:.1f} %), {len(by_compiler)} of them by the"
          f" compiler; {len(survived)} survived; {time.monotonic() - started:.0f} s in all")
    for r in survived:
        print(f"  survived {r['id']} ({r['file']}): {r['why']}")
    return 0 if results and len(killed) >= THRESHOLD * len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
