#!/usr/bin/env python3
"""The suite tells the truth about itself.

Every Catch2 test case of the unit binary has exactly one ctest entry, and every entry that runs
the unit binary names exactly one existing test case. catch_discover_tests splits a name at a
`;` (CMake's list separator) into entries that match nothing; the unit binary fails a run that
matches no test case, and this test fails the suite before such an entry can exist.

Also: every ctest entry of the default run has a label, and none can pass by being skipped,
disabled or inverted.

usage: discovery_test.py BUILD_DIR UNIT_BINARY [CTEST]
"""
import json
import subprocess
import sys

# Characters catch_discover_tests escapes in the test spec it passes to the binary.
CATCH_SPEC_ESCAPES = (",", "[", "]")


def unescape_spec(spec: str) -> str:
    for ch in CATCH_SPEC_ESCAPES:
        spec = spec.replace("\\" + ch, ch)
    return spec


def main() -> int:
    build_dir, unit_binary = sys.argv[1], sys.argv[2]
    ctest = sys.argv[3] if len(sys.argv) > 3 else "ctest"
    listed = subprocess.run([unit_binary, "--list-test-names-only"], capture_output=True, text=True)
    names = [line for line in listed.stdout.splitlines() if line.strip()]
    shown = subprocess.run([ctest, "--test-dir", build_dir, "--show-only=json-v1"],
                           capture_output=True, text=True, check=True)
    tests = json.loads(shown.stdout)["tests"]

    problems = []
    if len(names) < 100:
        problems.append(f"the unit binary lists only {len(names)} test cases")
    for name in names:
        if ";" in name:
            problems.append(f"test case name holds ';' (CMake splits it): {name!r}")
    duplicates = {n for n in names if names.count(n) > 1}
    for name in sorted(duplicates):
        problems.append(f"two test cases share a name: {name!r}")

    entries = []
    for test in tests:
        command = test.get("command") or []
        if command and command[0].endswith("/redrund_unit_tests"):
            if len(command) < 2:
                problems.append(f"entry {test['name']!r} runs the unit binary without a test case")
                continue
            entries.append(unescape_spec(command[1]))
        properties = {p["name"]: p["value"] for p in test.get("properties", [])}
        if "LABELS" not in properties:
            problems.append(f"entry {test['name']!r} has no label")
        # A default-run entry may not pass by skipping: optional tests are registered only when
        # their CMake option is on (README, "Optional tests").
        for silent in ("DISABLED", "SKIP_RETURN_CODE", "SKIP_REGULAR_EXPRESSION", "WILL_FAIL"):
            if properties.get(silent) not in (None, False, "OFF", "0", ""):
                problems.append(f"entry {test['name']!r} sets {silent}")

    missing = sorted(set(names) - set(entries))
    unknown = sorted(set(entries) - set(names))
    for name in missing:
        problems.append(f"test case with no ctest entry: {name!r}")
    for name in unknown:
        problems.append(f"ctest entry that matches no test case: {name!r}")
    if len(entries) != len(names):
        problems.append(f"{len(names)} test cases but {len(entries)} ctest entries run them")

    for p in problems:
        print("FAIL:", p)
    print(f"{len(names)} unit test cases, {len(entries)} ctest entries, {len(tests)} entries in all")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
