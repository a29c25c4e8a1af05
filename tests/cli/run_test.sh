#!/usr/bin/env bash
# `redrund run` through the real binary: exit statuses, output streams, arguments,
# --data, --input and determinism. Usage: run_test.sh REDRUND TESTS_DIR
set -u
redrund=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_status STATUS -- ARGS...: runs redrund with ARGS, checks the exit status.
expect_status() {
  local want=$1; shift 2
  "$redrund" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [ "$got" -eq "$want" ] || fail "redrund $* exited $got, expected $want (stderr: $(head -c 300 "$work/err"))"
}

expect_contains() {  # FILE TEXT
  grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 300 "$1")"
}

cat >"$work/ok.lua" <<'LUA'
print("args", select("#", ...), ...)
print("arg0", arg[0], arg[1])
printError("to stderr")
LUA
expect_status 0 -- run "$work/ok.lua" one "two words" --three
expect_contains "$work/out" "$(printf 'args\t3\tone\ttwo words\t--three')"
expect_contains "$work/out" "$(printf 'arg0\tok.lua\tone')"
expect_contains "$work/err" "to stderr"
grep -q "to stderr" "$work/out" && fail "printError output leaked to stdout"

printf 'local x = 1\nerror("boom")\n' >"$work/raise.lua"
expect_status 1 -- run "$work/raise.lua"
expect_contains "$work/err" "raise.lua:2: boom"

printf 'local x = \n' >"$work/syntax.lua"
expect_status 2 -- run "$work/syntax.lua"
expect_contains "$work/err" "syntax.lua:2:"

expect_status 2 -- run "$work/does-not-exist.lua"
expect_status 2 -- run
expect_status 2 -- run --seed notanumber "$work/ok.lua"
expect_status 2 -- frobnicate

printf 'while true do sleep(60) end\n' >"$work/forever.lua"
expect_status 3 -- run --time-limit 600 "$work/forever.lua"
expect_contains "$work/err" "time limit"

printf 'print("bye") os.shutdown() print("never")\n' >"$work/shutdown.lua"
expect_status 0 -- run "$work/shutdown.lua"
grep -q never "$work/out" && fail "code after os.shutdown ran"

expect_status 0 -- --help
expect_contains "$work/out" "run"
expect_status 0 -- --version
expect_contains "$work/out" "redrund"

# --data keeps the computer's files; --file copies extra files in.
mkdir -p "$work/data"
printf 'local h = fs.open("kept.txt", "w") h.write(fs.open("extra/in.txt", "r").readAll()) h.close()\n' >"$work/keep.lua"
printf 'payload' >"$work/in.txt"
expect_status 0 -- run --data "$work/data" --file "$work/in.txt:extra/in.txt" "$work/keep.lua"
[ "$(cat "$work/data/kept.txt" 2>/dev/null)" = "payload" ] || fail "--data did not keep kept.txt"

# --input feeds read(); the end of input reads as nil.
printf 'alice\nbob\n' >"$work/input.txt"
printf 'print(read(), read(), read())\n' >"$work/read.lua"
expect_status 0 -- run --input "$work/input.txt" "$work/read.lua"
expect_contains "$work/out" "$(printf 'alice\tbob\tnil')"

# The same program and seed give byte-identical output; another seed differs.
cat >"$work/random.lua" <<'LUA'
local t = {} for i = 1, 20 do t["k" .. i] = math.random(1, 1e6) end
for k, v in pairs(t) do write(k .. "=" .. v .. " ") end print()
print(os.epoch("utc"), os.date("%c"), os.time(), os.day())
LUA
"$redrund" run --seed 42 "$work/random.lua" >"$work/a" 2>&1
"$redrund" run --seed 42 "$work/random.lua" >"$work/b" 2>&1
"$redrund" run --seed 43 "$work/random.lua" >"$work/c" 2>&1
cmp -s "$work/a" "$work/b" || fail "same seed gave different output"
cmp -s "$work/a" "$work/c" && fail "different seeds gave the same output"

# --real-time follows the wall clock: a 0.3 s sleep takes at least 0.3 s of wall time.
printf 'sleep(0.3) print("woke", os.clock())\n' >"$work/realtime.lua"
started=$(date +%s%N)
expect_status 0 -- run --real-time "$work/realtime.lua"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
expect_contains "$work/out" "$(printf 'woke\t0.3')"
[ "$elapsed_ms" -ge 300 ] || fail "--real-time finished a 0.3 s sleep in ${elapsed_ms} ms"

# Bad input answered with a usage error, not a run that never ends or a silent success.
expect_status 2 -- run --time-limit nan "$work/ok.lua"
expect_contains "$work/err" "finite"
expect_status 2 -- run "$work"
expect_contains "$work/err" "cannot read"
# Times and timers far beyond any range: Lua's error, or a timer that never fires.
printf 'print(pcall(os.date, "%%Y", 1e300))\nprint(type(os.startTimer(1e300)), type(os.startTimer(-1e300)))\n' >"$work/far.lua"
expect_status 0 -- run "$work/far.lua"
expect_contains "$work/out" "out-of-bounds"
expect_contains "$work/out" "$(printf 'number\tnumber')"

# The bundled example runs.
expect_status 0 -- run "$2/../config/examples/hello.lua" tester
expect_contains "$work/out" "Hello, tester!"

if [ "$failures" -gt 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all cli checks passed"
