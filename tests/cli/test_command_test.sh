#!/usr/bin/env bash
# `redrund test` through the real binary: verdicts and exit statuses, scenario validation
# errors naming their JSON path, JUnit reports, determinism, --seed and --time-limit,
# output patterns and radio range. Usage: test_command_test.sh REDRUND TESTS_DIR
set -u
redrund=$1
tests=$2
root="$tests/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Computers' temporary directories go here, so the test can see that they are removed.
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_status STATUS -- ARGS...: runs redrund with ARGS, checks the exit status.
expect_status() {
  local want=$1; shift 2
  "$redrund" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [ "$got" -eq "$want" ] || fail "redrund $* exited $got, expected $want (stdout: $(tail -c 400 "$work/out"); stderr: $(head -c 400 "$work/err"))"
}

expect_contains() {  # FILE TEXT
  grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 600 "$1")"
}

expect_lacks() {  # FILE TEXT
  grep -qF -- "$2" "$1" && fail "$(basename "$1") has '$2'"
}

# scenario NAME JSON: writes a scenario file, prints its path.
scenario() { printf '%s\n' "$2" >"$work/$1.json"; echo "$work/$1.json"; }

# --- Passing scenarios ------------------------------------------------------------------
expect_status 0 -- test "$root/config/scenarios/gps.json"
expect_contains "$work/out" "PASS gps-client#10: success"
expect_contains "$work/out" "[gps-client#10] Located at 5,190,7"
expect_contains "$work/out" "5 passed, 0 failed, 0 without expectation (simulated"

expect_status 0 -- test "$root/config/scenarios/rednet-ping-pong.json"
expect_contains "$work/out" "PASS ping#2: success"

# expect "error" holds for a program that raises; stderr lines are on stdout, prefixed;
# an unlabelled computer is "computer#id"; files (text and base64) are there at boot.
raise=$(scenario raise '{ "computers": [
  { "id": 5, "position": [0, 64, 0], "expect": "error", "run": "boom",
    "files": { "boom.lua": "printError(\"warned\") error(\"bad thing\")" } },
  { "id": 6, "label": "reader", "position": [0, 64, 0], "expect": "success", "output": "^hi\n%[1,2,255%]$",
    "run": "show", "files": { "show.lua": "local h = fs.open(\"d/bin\", \"rb\") local a, b, c = h.read(), h.read(), h.read() h.close() print((require(\"lib.greet\"))) print(\"[\" .. a .. \",\" .. b .. \",\" .. c .. \"]\")",
                              "lib/greet.lua": "return \"hi\"", "/d/bin": { "base64": "AQL/" } } } ] }')
expect_status 0 -- test "$raise"
expect_contains "$work/out" "[computer#5] warned"
expect_contains "$work/out" "[computer#5] /boom.lua:1: bad thing"
expect_contains "$work/out" "PASS computer#5: error"
expect_contains "$work/out" "PASS reader#6: success, 1 output pattern"

# --- Failing scenarios -----------------------------------------------------------------
for failing in "$tests"/scenarios/failing/*.json; do
  expect_status 1 -- test "$failing"
  expect_contains "$work/out" "FAIL "
done
expect_status 1 -- test "$tests/scenarios/failing/expectations-fail.json"
expect_contains "$work/out" "FAIL raises#1: expected success, got error: /check.lua:2: assertion failed!"
expect_contains "$work/out" 'FAIL quiet#2: output lacks pattern "Position is %d+"'
expect_contains "$work/out" "0 passed, 3 failed, 1 without expectation (simulated 20.00 s)"

# --- Invalid scenarios: exit 2, one line per problem naming its JSON path ----------------
for invalid in "$tests"/proto/invalid/*.json; do
  expect_status 2 -- test "$invalid"
  [ -s "$work/err" ] || fail "$(basename "$invalid"): no message"
done
expect_status 2 -- test "$tests/proto/invalid/unknown-side.json"
expect_contains "$work/err" 'computers[0].modems[0].side: unknown side "up"'
many=$(scenario many '{ "computers": [
  { "id": 1, "position": [0, 64, 0], "output": ["ok", "bad%"] },
  { "id": 1, "position": [0, "x", 0], "colour": "red" },
  { "id": 3, "position": [0, 0, 0], "modems": [ { "side": "top" }, { "side": "top" } ] } ],
  "faults": { "loss": -0.1, "links": [ { "between": [1, 42], "loss": 0.5 } ] } }')
expect_status 2 -- test "$many"
expect_contains "$work/err" "computers[0].output[1]: invalid Lua pattern \"bad%\": malformed pattern (ends with '%')"
expect_contains "$work/err" "computers[1].id: duplicate id 1 (also computers[0])"
expect_contains "$work/err" "computers[1].position: expected 3 numbers"
expect_contains "$work/err" "computers[1].colour: unknown key"
expect_contains "$work/err" 'computers[2].modems[1].side: another modem is on side "top"'
expect_contains "$work/err" "faults.loss: expected a number between 0 and 1"
expect_contains "$work/err" "faults.links[0].between[1]: no computer has id 42"
[ "$(wc -l <"$work/err")" -eq 7 ] || fail "expected 7 problems, got: $(cat "$work/err")"

printf '{ "computers": [ { "id": 1, } ] }' >"$work/malformed.json"
expect_status 2 -- test "$work/malformed.json"
expect_contains "$work/err" "malformed JSON at byte 29"
expect_status 2 -- test "$work/does-not-exist.json"
expect_contains "$work/err" "cannot read"
expect_status 2 -- test
expect_status 2 -- test "$root/config/scenarios/gps.json" --seed lots
expect_status 2 -- test "$root/config/scenarios/gps.json" --time-limit 0
expect_status 2 -- test "$root/config/scenarios/gps.json" --time-limit nan
expect_status 2 -- test "$root/config/scenarios/gps.json" --junit "$work/no/such/dir/report.xml"

# --- JUnit ------------------------------------------------------------------------------
expect_status 1 -- test --junit "$work/report.xml" "$tests/scenarios/failing/expectations-fail.json"
python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$work/report.xml" ||
  fail "the JUnit report is not well-formed XML"
expect_contains "$work/report.xml" '<testcase classname="expectations-fail" name="raises#1"'
expect_contains "$work/report.xml" '<failure message="expected success, got error: /check.lua:2: assertion failed!"'
expect_lacks "$work/report.xml" 'name="bystander#4"'
python3 - "$work/report.xml" <<'PY' || fail "JUnit counts are wrong"
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = suite.findall("testcase")
assert suite.get("tests") == "3" and suite.get("failures") == "3", suite.attrib
assert all(c.find("system-out") is not None for c in cases)
PY

# --- Determinism, --seed, --time-limit -------------------------------------------------
random=$(scenario random '{ "faults": { "loss": 0.5 }, "computers": [
  { "id": 1, "label": "sender", "position": [0, 64, 0], "modems": [ { "side": "top", "type": "wireless" } ],
    "run": "send", "expect": "success",
    "files": { "send.lua": "print(math.random(1, 1e9)) local m = peripheral.wrap(\"top\") for i = 1, 40 do m.transmit(7, 7, i) sleep(0.05) end" } },
  { "id": 2, "label": "receiver", "position": [10, 64, 0], "modems": [ { "side": "top", "type": "wireless" } ],
    "run": "count", "expect": "success",
    "files": { "count.lua": "local m = peripheral.wrap(\"top\") m.open(7) local n = 0 local t = os.startTimer(5) while true do local e, a, b, c, msg = os.pullEvent() if e == \"timer\" and a == t then break elseif e == \"modem_message\" then n = n + 1 end end print(\"received \" .. n)" } } ] }')
"$redrund" test --junit "$work/a.xml" "$random" >"$work/a" 2>&1
"$redrund" test --junit "$work/b.xml" "$random" >"$work/b" 2>&1
"$redrund" test --seed 99 "$random" >"$work/c" 2>&1
cmp -s "$work/a" "$work/b" || fail "the same scenario gave different output"
cmp -s "$work/a.xml" "$work/b.xml" || fail "the same scenario gave different JUnit reports"
cmp -s "$work/a" "$work/c" && fail "--seed did not change a random outcome"
grep -q "received 40" "$work/a" && fail "half the packets should be lost"
expect_contains "$work/a" "[receiver#2] received "

sleeper=$(scenario sleeper '{ "computers": [ { "id": 1, "label": "sleeper", "position": [0, 64, 0],
  "run": "nap", "expect": "success", "files": { "nap.lua": "sleep(100) print(\"awake\")" } } ] }')
expect_status 0 -- test "$sleeper"
expect_contains "$work/out" "(simulated 100.00 s)"
expect_status 1 -- test --time-limit 10 "$sleeper"
expect_contains "$work/out" "FAIL sleeper#1: expected success, got running (simulated time limit of 10 s reached)"
expect_contains "$work/out" "(simulated 10.00 s)"

# --- Output patterns --------------------------------------------------------------------
patterns=$(scenario patterns '{ "computers": [ { "id": 1, "label": "talker", "position": [0, 64, 0],
  "run": "talk", "input": ["Ada"], "files": { "talk.lua": "print(\"name? \" .. read()) print(\"Position is 12,-3\")" },
  "output": ["name%? Ada", "Position is %-?%d+,%-?%d+", "%f[%w]Ada%f[%W]"] } ] }')
expect_status 0 -- test "$patterns"
expect_contains "$work/out" "PASS talker#1: 3 output patterns"
sed 's/"name%? Ada"/"name%? Bob"/' "$patterns" >"$work/patterns-bad.json"
expect_status 1 -- test "$work/patterns-bad.json"
expect_contains "$work/out" 'FAIL talker#1: output lacks pattern "name%? Bob"'

# --- Radio range: a computer out of range does not get the message ----------------------
range=$(scenario range '{ "computers": [
  { "id": 1, "label": "near", "position": [50, 64, 0], "modems": [ { "side": "top", "type": "wireless" } ],
    "run": "listen", "expect": "success", "output": "got hello",
    "files": { "listen.lua": "rednet.open(\"top\") local id, msg = rednet.receive(5) assert(msg, \"nothing heard\") print(\"got \" .. msg)" } },
  { "id": 2, "label": "far", "position": [500, 64, 0], "modems": [ { "side": "top", "type": "wireless" } ],
    "run": "listen", "expect": "error",
    "files": { "listen.lua": "rednet.open(\"top\") local id, msg = rednet.receive(5) assert(msg, \"nothing heard\") print(\"got \" .. msg)" } },
  { "id": 3, "label": "sender", "position": [0, 64, 0], "modems": [ { "side": "top", "type": "wireless" } ],
    "run": "say", "expect": "success", "files": { "say.lua": "rednet.open(\"top\") sleep(1) rednet.broadcast(\"hello\")" } } ] }')
expect_status 0 -- test "$range"
expect_contains "$work/out" "PASS far#2: error"
expect_contains "$work/out" "[far#2] /listen.lua:1: nothing heard"

# --- Dropped events are reported --------------------------------------------------------
flood=$(scenario flood '{ "computers": [ { "id": 7, "position": [0, 64, 0], "run": "flood", "expect": "success",
  "files": { "flood.lua": "for i = 1, 300 do os.queueEvent(\"x\") end sleep(0)" } } ] }')
expect_status 0 -- test "$flood"
expect_contains "$work/out" "note: computer#7 dropped"

# Every computer's temporary directory is gone.
[ -z "$(ls -A "$TMPDIR")" ] || fail "temporary directories left behind: $(ls "$TMPDIR")"

if [ "$failures" -gt 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all redrund test checks passed"
