-- RedRun (rom/modules/main/redrun.lua): the original's API behaviours we keep, each fix, and
-- what we add. Two set-ups: a private copy hooked into a fake rednet whose run coroutine
-- the test drives event by event (exact dispatch), and the real module hooked into this
-- computer's rednet.run (real events, timers, terminate's barrier).
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

local redrun = require "redrun"

-- A private RedRun over a fake rednet.run; h.event(...) is one event through its hook.
local function harness(...)
    local env = setmetatable({}, { __index = _G })
    local run = load("return function() while true do seen = table.pack(os.pullEventRaw()) end end",
        "=fake_rednet", "t", env)()
    local h = { env = env, printed = {}, errors = {} }
    local menv = setmetatable({
        rednet = { run = run },
        print = function(...) h.printed[#h.printed + 1] = table.concat({ ... }, " ") end,
        printError = function(...) h.errors[#h.errors + 1] = table.concat({ ... }, " ") end,
    }, { __index = _ENV })
    h.load = function(...) return assert(loadfile("/rom/modules/main/redrun.lua", nil, menv))(...) end
    h.redrun = h.load(...)
    local co = coroutine.create(run)
    assert(coroutine.resume(co)) -- to the hook's first yield
    h.event = function(...) assert(coroutine.resume(co, ...)) end
    return h
end

-- Lets the real hook see at least `n` events after everything queued so far.
local function cycle(n)
    for _ = 1, n or 1 do
        os.queueEvent("spec_cycle")
        os.pullEvent("spec_cycle")
    end
    -- The hook runs after this program within an event: one more makes the last one seen.
    os.queueEvent("spec_cycle")
    os.pullEvent("spec_cycle")
end

local function upvalue(fn, name)
    for i = 1, math.huge do
        local n, v = debug.getupvalue(fn, i)
        if n == nil then return nil end
        if n == name then return v end
    end
end

describe("registration", function()
    it("is silent when required and prints when run as a program", function()
        local h = harness("redrun", "/rom/modules/main/redrun.lua")
        expect(#h.printed):eq(0)
        local proxy = rawget(h.env, "os")
        expect(getmetatable(proxy).__isredrun):eq(true)
        expect(getmetatable(proxy).__index):eq(os)
        expect(rawget(h.env, "__redrun_coroutines")):type("table")

        local h2 = harness()
        expect(h2.printed):same({ "Successfully registered RedRun." })
    end)
    it("is harmless twice, and copies share one task table", function()
        local h = harness()
        local proxy = rawget(h.env, "os")
        expect(h.redrun.init()):eq(true)
        local copy = h.load() -- another program requiring it
        expect(#h.printed):eq(1)
        expect(rawget(h.env, "os")):eq(proxy)
        local id = copy.start(function() coroutine.yield() end, "shared")
        expect(h.redrun.getid("shared")):eq(id)
        expect(rawget(h.env, "__redrun_coroutines")[id]):truthy()
    end)
    it("refuses to patch _G or a missing rednet", function()
        local real_raw = os.pullEventRaw
        local menv = setmetatable({
            rednet = { run = load("return function() return os end", "=g", "t", _G)() },
            printError = function() end,
        }, { __index = _ENV })
        local m = assert(loadfile("/rom/modules/main/redrun.lua", nil, menv))()
        local ok, why = m.init()
        expect(ok):eq(false)
        expect(why):matches("global environment")
        expect(os.pullEventRaw):eq(real_raw)
        expect.error(m.start, function() end):matches("RedRun is not available")
        menv.rednet = false
        local m2 = assert(loadfile("/rom/modules/main/redrun.lua", nil, menv))("redrun")
        expect(select(2, m2.init())):matches("rednet API is not loaded")
    end)
end)

describe("the original's behaviours", function()
    it("defers a task's first run to the next event, passed as its arguments", function()
        local h = harness("redrun")
        local got
        h.redrun.start(function(...) got = table.pack(...) end)
        expect(got):eq(nil)
        h.event("first", 1, nil, 3)
        expect(got):same({ "first", 1, nil, 3, n = 4 })
    end)
    it("passes start arguments instead of the event when given", function()
        local h = harness("redrun")
        local got
        h.redrun.start(function(...) got = { ... } end, "args", "a", 2)
        h.event("ev")
        expect(got):same({ "a", 2 })
    end)
    it("checks arguments with CC's wording", function()
        expect.error(redrun.start, nil):matches("bad argument #1 .*%(function expected, got nil%)")
        expect.error(redrun.getstate, "x"):matches("bad argument #1 .*%(number expected, got string%)")
        expect.error(redrun.kill):matches("number expected, got nil")
        expect.error(redrun.terminate, {}):matches("number expected, got table")
    end)
    it("shares one state table per task, nil for unknown ids", function()
        local h = harness("redrun")
        local id = h.redrun.start(function() while true do coroutine.yield() end end, "s")
        local state = h.redrun.getstate(id)
        expect(state):type("table")
        expect(h.redrun.getstate(id)):eq(state)
        expect(h.redrun.getstate(id + 100)):eq(nil)
    end)
    it("finds tasks by name: the lowest id, nil when absent", function()
        local h = harness("redrun")
        local loop = function() while true do coroutine.yield() end end
        local a = h.redrun.start(loop, "dup")
        h.redrun.start(loop, "dup")
        local unnamed = h.redrun.start(loop)
        expect(h.redrun.getid("dup")):eq(a)
        expect(h.redrun.getid(nil)):eq(unnamed)
        expect(h.redrun.getid("none")):eq(nil)
    end)
    it("kills at once, ignoring unknown ids", function()
        local h = harness("redrun")
        local runs = 0
        local id = h.redrun.start(function() while true do runs = runs + 1 coroutine.yield() end end, "k")
        h.event("a")
        h.redrun.kill(id)
        h.redrun.kill(12345)
        h.event("b")
        expect(runs):eq(1)
        expect(h.redrun.getstate(id)):eq(nil)
        expect(h.redrun.status(id).status):eq("killed")
    end)
    it("resumes when the filter is nil, equals the event, or the event is terminate", function()
        local h = harness("redrun")
        local got = {}
        h.redrun.start(function()
            while true do got[#got + 1] = os.pullEventRaw("want") end
        end)
        h.event("start")
        h.event("other")
        h.event("want")
        h.event("terminate")
        expect(got):same({ "want", "terminate" })
    end)
    it("shows each event to tasks before rednet.run", function()
        local h = harness("redrun")
        local order = {}
        h.redrun.start(function() while true do order[#order + 1] = "task " .. coroutine.yield() end end)
        h.event("x")
        h.event("y")
        expect(order):same({ "task y" })
        expect(h.env.seen[1]):eq("y") -- rednet.run got it after
    end)
    it("runs tasks the original's code adds, and honours its terminate flag", function()
        local h = harness("redrun")
        local tasks = rawget(h.env, "__redrun_coroutines")
        local got = {}
        tasks[#tasks + 1] = { coro = coroutine.create(function() while true do got[#got + 1] = coroutine.yield() end end), name = "old" }
        h.event("a")
        h.event("b")
        expect(got):same({ "b" })
        expect(h.redrun.list()[1].name):eq("old")
        tasks[1].terminate = true
        h.event("c")
        expect(got):same({ "b", "terminate" })
        expect(tasks[1]):eq(nil)
    end)
    it("sees the original's terminate flag on a task waiting for another event", function()
        local h = harness("redrun")
        local tasks = rawget(h.env, "__redrun_coroutines")
        local got = {}
        h.redrun.start(function() while true do got[#got + 1] = os.pullEventRaw("want") end end)
        h.event("start")
        tasks[1].terminate = true -- as the original's terminate() does, then it queues this:
        h.event("redrun_pause")
        expect(got):same({ "terminate" })
        expect(tasks[1]):eq(nil)
    end)
end)

describe("dispatch to many tasks", function()
    it("resumes, in id order, exactly the tasks an event concerns", function()
        local h = harness("redrun")
        local order, terminated = {}, 0
        local function waiter(tag, ...)
            local filters = table.pack(...)
            return function()
                for i = 1, filters.n do
                    local name = coroutine.yield(filters[i])
                    order[#order + 1] = tag .. ":" .. name
                end
                while true do
                    if coroutine.yield("never") == "terminate" then terminated = terminated + 1 end
                end
            end
        end
        for i = 1, 50 do h.redrun.start(waiter("idle" .. i)) end
        h.redrun.start(waiter("A", "a", "b")) -- 51: wants a, then b
        h.redrun.start(waiter("B", nil, "a")) -- 52: anything, then a
        h.redrun.start(waiter("C", "b", "a")) -- 53: wants b, then a
        h.event("first") -- every task's first run: each reaches its first filter
        h.event("a")
        h.event("b")
        h.event("a")
        expect(order):same({ "A:a", "B:a", "A:b", "C:b", "B:a", "C:a" })
        h.event("terminate") -- reaches every task, idle ones too
        expect(terminated):eq(53)
    end)
end)

describe("fixes", function()
    it("never reuses ids", function()
        local h = harness("redrun")
        local loop = function() while true do coroutine.yield() end end
        local a, b, c = h.redrun.start(loop), h.redrun.start(loop), h.redrun.start(loop)
        expect({ a, b, c }):same({ 1, 2, 3 })
        h.redrun.kill(c)
        expect(h.redrun.start(loop)):eq(4)
    end)
    it("keeps errors with a traceback, visible and printed", function()
        local h = harness("redrun")
        local id = h.redrun.start(function() coroutine.yield() error("boom") end, "crasher")
        h.event("a")
        h.event("b")
        local s = h.redrun.status(id)
        expect(s.status):eq("errored")
        expect(s.error):matches("boom$")
        expect(s.traceback):matches("stack traceback")
        expect(h.errors[1]):matches("^redrun: task " .. id .. " %(crasher%) failed: .*boom$")
        expect(h.redrun.getid("crasher")):eq(nil)
    end)
    it("starts a task spawned during dispatch on the next event", function()
        local h = harness("redrun")
        local child_got
        h.redrun.start(function()
            coroutine.yield()
            for _ = 1, 40 do h.redrun.start(function(...) child_got = child_got or { ... } end) end
            while true do coroutine.yield() end
        end)
        h.event("a")
        h.event("spawn")
        expect(child_got):eq(nil)
        h.event("next")
        expect(child_got):same({ "next" })
    end)
    it("survives broken task-table entries", function()
        local h = harness("redrun")
        local tasks = rawget(h.env, "__redrun_coroutines")
        local runs = 0
        h.redrun.start(function() while true do runs = runs + 1 coroutine.yield() end end)
        tasks[50] = "garbage"
        tasks[51] = { coro = 5 }
        tasks.odd = { coro = "x" }
        h.event("a")
        h.event("b")
        expect(runs):eq(2)
        expect(tasks[50]):eq(nil)
        expect(tasks.odd):eq(nil)
        expect(#h.errors):eq(3)
        expect(h.errors[1]):matches("dropped task")
        expect(h.env.seen[1]):eq("b")
    end)
end)

describe("list, status and self", function()
    it("reports every task, sorted, with status and counts", function()
        local h = harness("redrun")
        local me
        local a = h.redrun.start(function() me = h.redrun.self() while true do coroutine.yield() end end, "a")
        local b = h.redrun.start(function() end, "b")
        h.event("x")
        h.event("y")
        local list = h.redrun.list()
        expect(#list):eq(2)
        expect({ list[1].id, list[1].name, list[1].status, list[1].events }):same({ a, "a", "running", 2 })
        expect({ list[2].id, list[2].status }):same({ b, "finished" })
        expect(list[1].started):type("number")
        expect(me):eq(a)
        expect(h.redrun.self()):eq(nil)
        list[1].status = "tampered"
        expect(h.redrun.status(a).status):eq("running")
    end)
    it("keeps only the last 64 ended tasks", function()
        local h = harness("redrun")
        for _ = 1, 70 do h.redrun.start(function() end) end
        h.event("x")
        local list = h.redrun.list()
        expect(#list):eq(64)
        expect(list[1].id):eq(7)
    end)
end)

describe("terminate (real hook)", function()
    it("delivers exactly one terminate, then removes the task", function()
        local got = {}
        local id = redrun.start(function()
            while true do got[#got + 1] = (os.pullEventRaw()) end
        end, "victim")
        cycle()
        redrun.terminate(id)
        expect(redrun.status(id).status):eq("terminated")
        local terminates = 0
        for _, e in ipairs(got) do if e == "terminate" then terminates = terminates + 1 end end
        expect(terminates):eq(1)
        expect(got[#got]):eq("terminate")
        expect(redrun.getid("victim")):eq(nil)
    end)
    it("gives a never-run task 'terminate' as its arguments", function()
        local first
        local id = redrun.start(function(...) first = ... coroutine.yield() end)
        redrun.terminate(id)
        cycle()
        expect(first):eq("terminate")
    end)
    it("re-queues nothing: other listeners see each event once", function()
        local markers = 0
        local counter = redrun.start(function() while true do os.pullEvent("marker") markers = markers + 1 end end)
        local victim = redrun.start(function() while true do coroutine.yield() end end)
        cycle()
        os.queueEvent("marker")
        redrun.terminate(victim)
        cycle(3)
        expect(markers):eq(1)
        redrun.kill(counter)
    end)
    it("raises for unknown ids at the caller's level", function()
        local ok, err = pcall(function() redrun.terminate(999) end)
        expect(ok):eq(false)
        expect(err):matches("redrun_spec%.lua:%d+: Task ID 999 is not running$")
    end)
    it("shows events to tasks before rednet.run handles them", function()
        local received = upvalue(rednet.run, "received_messages")
        local before
        local id = redrun.start(function()
            while true do
                local _, _, _, protocol = os.pullEvent("rednet_message")
                if protocol == "dns" then before = next(received) end
            end
        end)
        rednet.host("spec-proto", "spec-host") -- no modem: no lookup traffic
        cycle()
        expect(next(received)):eq(nil)
        -- rednet.run answers this lookup with a send, which records a message id.
        os.queueEvent("rednet_message", 77, { sType = "lookup", sProtocol = "spec-proto" }, "dns")
        cycle()
        expect(before):eq(nil)
        expect(next(received)):ne(nil)
        rednet.unhost("spec-proto")
        redrun.kill(id)
    end)
end)

describe("supervise (real hook)", function()
    it("restarts on error with doubling backoff, keeping id and state", function()
        local starts = {}
        local id = redrun.supervise({
            name = "flaky", restart = "on-error", backoff = 1, backoff_max = 2,
            args = { "x" },
            fn = function(arg)
                starts[#starts + 1] = { os.clock(), arg }
                if #starts < 4 then error("flake " .. #starts) end
                while true do coroutine.yield() end
            end,
        })
        expect(redrun.status(id).status):eq("starting")
        local state = redrun.getstate(id)
        sleep(0.5)
        expect(redrun.status(id).status):eq("restarting")
        expect(redrun.status(id).error):matches("flake 1$")
        sleep(6)
        expect(#starts):eq(4)
        expect(starts[1][2]):eq("x")
        expect(starts[2][1] - starts[1][1]):near(1, 0.06)
        expect(starts[3][1] - starts[2][1]):near(2, 0.06)
        expect(starts[4][1] - starts[3][1]):near(2, 0.06) -- capped by backoff_max
        local s = redrun.status(id)
        expect({ s.status, s.restarts, s.restart }):same({ "running", 3, "on-error" })
        expect(redrun.getstate(id)):eq(state)
        redrun.terminate(id)
        expect(redrun.status(id).status):eq("terminated")
    end)
    it("does not restart with restart = never", function()
        local id = redrun.supervise({ name = "once", fn = function() error("once", 0) end })
        sleep(2)
        local s = redrun.status(id)
        expect({ s.status, s.error, s.restarts }):same({ "errored", "once", 0 })
    end)
    it("runs shell command lines, failing when the program fails", function()
        local f = fs.open("/marker.lua", "w")
        f.write('local f = fs.open("/marker.out", "w") f.write(table.concat({...}, ",")) f.close()')
        f.close()
        local ok_id = redrun.supervise({ name = "cmd", command = "marker.lua a b" })
        local bad_id = redrun.supervise({ name = "bad", command = "no-such-program" })
        sleep(0.5)
        expect(redrun.status(ok_id).status):eq("finished")
        local out = fs.open("/marker.out", "r")
        expect(out.readAll()):eq("a,b")
        out.close()
        expect(redrun.status(bad_id).error):eq("No such program: no-such-program")
    end)
    it("keeps the program's own error as the task's error", function()
        local f = fs.open("/raise.lua", "w")
        f.write('error("disk " .. (...) .. " is full", 0)')
        f.close()
        f = fs.open("/syntax.lua", "w")
        f.write("this is not Lua")
        f.close()
        f = fs.open("/nested.lua", "w") -- a failure inside a program that then succeeds
        f.write('assert(not shell.run("raise.lua inner"))')
        f.close()
        local raise_id = redrun.supervise({ name = "raise", command = "raise.lua 7" })
        local syntax_id = redrun.supervise({ name = "syntax", command = "syntax.lua" })
        local nested_id = redrun.supervise({ name = "nested", command = "nested.lua" })
        f = fs.open("/quiet.lua", "w") -- raises without a message
        f.write("error()")
        f.close()
        local quiet_id = redrun.supervise({ name = "quiet", command = "quiet.lua x" })
        sleep(0.5)
        expect({ redrun.status(raise_id).status, redrun.status(raise_id).error }):same({ "errored", "disk 7 is full" })
        expect(redrun.status(syntax_id).error):matches("^/syntax%.lua:1: ")
        expect({ redrun.status(nested_id).status, redrun.status(nested_id).error }):same({ "finished", nil })
        expect(redrun.status(quiet_id).error):eq("command failed: quiet.lua x")
    end)
    it("validates its table", function()
        expect.error(redrun.supervise, {}):matches("bad field 'fn'")
        expect.error(redrun.supervise, { fn = print, restart = "always" }):matches("restart")
        expect.error(redrun.supervise, { fn = print, backoff = "1" }):matches("bad field 'backoff'")
    end)
end)

describe("the redrun program", function()
    it("starts, lists and terminates background commands", function()
        local f = fs.open("/idle.lua", "w")
        f.write("while true do os.pullEvent('never') end")
        f.close()
        expect(shell.run("redrun start idler idle.lua")):eq(true)
        sleep(0.2)
        local id = redrun.getid("idler")
        expect(id):type("number")
        expect(redrun.status(id).status):eq("running")
        expect(shell.run("redrun list")):eq(true)
        expect(shell.run("redrun status " .. id)):eq(true)
        expect(shell.run("redrun terminate " .. id)):eq(true)
        expect(redrun.status(id).status):eq("terminated")
        expect(shell.run("redrun terminate " .. id)):eq(false)
    end)
end)

spec.finish()
