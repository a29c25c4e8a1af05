-- The seed's technique on our ROM: a program of our own, written the way the original RedRun
-- works (getfenv(rednet.run), a proxy `os` in rednet's private environment whose
-- pullEventRaw yields and resumes its own coroutines, env.__redrun_coroutines), starts a
-- background coroutine that keeps counting events after that program has ended. Then our
-- redrun module joins the same table and keeps that task running.
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

-- Deliberately not our module: the hook, dispatch and bookkeeping are the seed's shape.
local SEED_STYLE = [=[
local env = getfenv(rednet.run)
local tasks = env.__redrun_coroutines
if not tasks then
    tasks = {}
    env.os = setmetatable({
        pullEventRaw = function()
            local ev = table.pack(coroutine.yield())
            local gone = {}
            for id, t in pairs(tasks) do
                if t.terminate or t.filter == nil or t.filter == ev[1] or ev[1] == "terminate" then
                    local ok
                    if t.terminate then
                        ok, t.filter = coroutine.resume(t.coro, "terminate")
                    else
                        ok, t.filter = coroutine.resume(t.coro, table.unpack(ev, 1, ev.n))
                    end
                    if not ok or coroutine.status(t.coro) ~= "suspended" or t.terminate then
                        gone[#gone + 1] = id
                    end
                end
            end
            for _, id in ipairs(gone) do tasks[id] = nil end
            return table.unpack(ev, 1, ev.n)
        end,
    }, { __index = os, __isredrun = true })
    env.__redrun_coroutines = tasks
end
local state = { count = 0 }
tasks[#tasks + 1] = {
    name = "counter", state = state,
    coro = coroutine.create(function()
        while true do
            coroutine.yield()
            state.count = state.count + 1
        end
    end),
}
print("counter started")
]=]

local function write(path, text)
    local f = fs.open(path, "w")
    f.write(text)
    f.close()
end

local function events(n)
    for i = 1, n do
        os.queueEvent("tick", i)
        os.pullEvent("tick")
    end
end

local env = getfenv(rednet.run)

describe("the seed's technique", function()
    it("finds rednet's private environment", function()
        expect(env):ne(_G)
        expect(getmetatable(env).__index):eq(_G)
        expect(rawget(env, "run")):eq(rednet.run)
    end)
    it("keeps a coroutine counting events after its program ended", function()
        write("/seedstyle.lua", SEED_STYLE)
        expect(shell.run("seedstyle.lua")):eq(true) -- the program has ended here
        local tasks = rawget(env, "__redrun_coroutines")
        expect(tasks):type("table")
        local counter = tasks[1]
        expect(counter.name):eq("counter")
        local proxy = rawget(env, "os")
        expect(getmetatable(proxy).__isredrun):eq(true)
        expect(os.pullEventRaw):ne(proxy.pullEventRaw) -- only rednet's `os` is touched

        -- rednet.run picks the proxy up at its next pullEventRaw; the task's first run takes
        -- tick 1 as its arguments; ticks 2-4 are counted; the hook sees each event after
        -- this program (the shell side runs first), so tick 5 is not counted yet.
        events(5)
        local after_five = counter.state.count
        expect(after_five):eq(3)
        sleep(1) -- a timer event, through the top level
        events(10)
        expect(counter.state.count - after_five):eq(11) -- tick 5, the timer, ticks 1-9
    end)
    it("shares the task table with a second copy of the technique", function()
        expect(shell.run("seedstyle.lua")):eq(true)
        local tasks = rawget(env, "__redrun_coroutines")
        expect(tasks[2].name):eq("counter")
        local before = tasks[2].state.count
        events(3)
        expect(tasks[2].state.count > before):eq(true)
    end)
end)

describe("our redrun joining it", function()
    it("adopts the table and keeps the seed's tasks running", function()
        local tasks = rawget(env, "__redrun_coroutines")
        local seed_counter = tasks[1].state
        local redrun = require "redrun"
        expect(rawget(env, "__redrun_coroutines")):eq(tasks)
        local list = redrun.list()
        expect(#list):eq(2)
        expect({ list[1].id, list[1].name, list[1].status }):same({ 1, "counter", "running" })

        local before = seed_counter.count
        local id = redrun.start(function() while true do coroutine.yield() end end, "ours")
        expect(id):eq(3)
        events(4)
        expect(seed_counter.count - before >= 3):eq(true)
        expect(redrun.status(id).status):eq("running")
        redrun.terminate(1)
        expect(tasks[1]):eq(nil)
        expect(redrun.status(1).status):eq("terminated")
    end)
end)

spec.finish()
