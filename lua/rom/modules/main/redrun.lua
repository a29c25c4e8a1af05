--- RedRun for redrund: background tasks that run inside the top-level rednet.run coroutine.
-- Written for redrund from the description in /work/shared/reference/redrun.md (the original,
-- by JackMacWindows, is CC0; its code is not reused here).
--
-- Technique (as the original): getfenv(rednet.run) is the rednet API's private environment.
-- Its `os` is replaced by a proxy whose pullEventRaw yields for the next event (unfiltered),
-- hands it to the background tasks, then returns it to rednet.run. Tasks therefore live in
-- the top-level coroutine, outlive the program that started them and see every event
-- before rednet.run does. The task table is env.__redrun_coroutines, so every copy of this
-- module, and the original's own code, share one set of tasks; records keep the original's
-- fields (coro, name, filter, terminate, state).
--
-- Kept from the original: start/getid/getstate/kill/terminate and their argument errors;
-- a task first runs when the hook next sees an event, and with no start arguments that
-- event is its `...`; the dispatch rule (resume when the filter is nil, equals the event
-- name, or the event is "terminate"); terminate() delivers exactly one "terminate" and
-- then removes the task; the "redrun_pause" barrier event; silent when required, prints
-- "Successfully registered RedRun." when run as a program.
--
-- Fixed (each also in proto/redrun.md):
-- 1. Ids are monotonic and never reused (the original used #t+1), so a stale id can never
--    name another task.
-- 2. Errors are never silent: the task's status becomes "errored", its message and
--    traceback are kept (list/status), and printError shows
--    "redrun: task N (name) failed: msg".
-- 3. The hook resumes tasks in id order from a snapshot taken before dispatch, so a task
--    started during dispatch first runs on the next event (the original's pairs loop made
--    this undefined).
-- 4. terminate() waits for its own barrier ("redrun_pause" carrying a unique token) with a
--    filter; the original re-queued every other event, so the computer saw them twice.
-- 5. The hook body runs under pcall, and each task step under its own pcall, so a broken
--    task-table entry or a dispatcher bug cannot take the computer down.
--
-- Beyond the original: list/status/self, start arguments, supervised tasks with a restart
-- policy and exponential backoff (restart timers are handled inside the hook), and a
-- bounded record of ended tasks.

local expect_module = require and require("cc.expect") or dofile("rom/modules/main/cc/expect.lua")
local expect, field = expect_module.expect, expect_module.field

local redrun = {}

-- Ended tasks remembered for list()/status(); older ones are forgotten.
local ENDED_MAX = 64

-- The shared state, env.__redrun (nil until init succeeds):
--   tasks    = env.__redrun_coroutines, live tasks by id (the original's table)
--   waiting  = supervised tasks waiting for their (re)start timer, by id
--   timers   = timer id -> task id, for those waits
--   ended    = ended task records, oldest first, at most ENDED_MAX
--   next_id, barrier = counters; current = id of the task being resumed
local S
local init_error -- why init refused to hook, if it did

local function now() return os.clock() end

local function label(rec) return ("task %s (%s)"):format(tostring(rec.id), tostring(rec.name)) end

-- A copy of a record's public fields, so callers cannot corrupt the scheduler.
local function view(rec)
    return {
        id = rec.id, name = rec.name, status = rec.status, error = rec.error,
        traceback = rec.traceback, started = rec.started, events = rec.events or 0,
        restarts = rec.restarts or 0, restart = rec.policy and rec.policy.restart or "never",
    }
end

-- Orders task-table keys: numbers first, ascending (foreign code may add odd keys).
local function key_order(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
end

local function sorted_keys(t)
    local keys, numeric = {}, true
    for k in pairs(t) do
        keys[#keys + 1] = k
        numeric = numeric and type(k) == "number"
    end
    if numeric then table.sort(keys) else table.sort(keys, key_order) end
    return keys
end

-- Which tasks an event concerns. Walking (and sorting) every task for every event cost
-- more than the tasks themselves once there were dozens of idle ones, so, when it can,
-- RedRun keeps an index: S.listening[filter] holds the ids of tasks waiting for that event
-- name, and S.eager the ids that must see every event (no filter, a terminate or start
-- arguments owed, or not yet run). New keys in the task table reach S.eager through
-- __newindex, so tasks that another copy of RedRun (the original) adds straight into the
-- shared table are found too. An event then visits only its candidates, which are still
-- checked against the dispatch rule; only "terminate" and "redrun_pause" visit every task.
-- If the task table
-- already has a metatable there is no index, and every event visits every task, as before.
local function watch_additions(tasks)
    if getmetatable(tasks) ~= nil then return false end
    setmetatable(tasks, { __newindex = function(t, k, v)
        S.order = nil
        if v ~= nil then S.eager[k] = true end
        rawset(t, k, v)
    end })
    return true
end

local function unindex(id, rec)
    S.eager[id] = nil
    local filter = type(rec) == "table" and rec.filter
    local set = filter ~= nil and filter == filter and S.listening[filter]
    if set then
        set[id] = nil
        if next(set) == nil then S.listening[filter] = nil end
    end
end

-- A task suspended with a new filter (step) or owed a resume whatever the event (terminate).
local function reindex(id, rec, filter)
    unindex(id, rec)
    rec.filter = filter
    if filter == nil or filter ~= filter or rec.terminate or rec.args ~= nil then -- NaN: no index key
        S.eager[id] = true
    else
        local set = S.listening[filter] or {}
        set[id] = true
        S.listening[filter] = set
    end
end

-- Every task id, sorted; kept until the table gains or loses a key.
local function task_order()
    if S.order == nil or not S.indexed then S.order = sorted_keys(S.tasks) end
    return S.order
end

local NONE = {} -- never written to

-- The ids an event may resume, sorted: its candidates from the index, or every task.
local function candidates(name)
    -- The original's terminate() flags a task and queues "redrun_pause": at that event every
    -- task is visited, so a flag set behind the index's back is still seen.
    if not S.indexed or name == "terminate" or name == "redrun_pause" then return task_order() end
    local listening = name ~= nil and S.listening[name]
    if not listening and next(S.eager) == nil then return NONE end -- the usual case
    local set = {}
    for id in pairs(S.eager) do set[id] = true end
    if listening then
        for id in pairs(listening) do set[id] = true end
    end
    return sorted_keys(set)
end

local function remove_task(id)
    unindex(id, rawget(S.tasks, id))
    S.tasks[id], S.order = nil, nil
end

local function new_id()
    local id = S.next_id
    while S.tasks[id] ~= nil or S.waiting[id] ~= nil do id = id + 1 end
    S.next_id = id + 1
    return id
end

-- Records created by other copies of RedRun (the original) lack our fields.
local function adopt(id, rec)
    rec.id, rec.status, rec.events, rec.started = id, rec.status or "running", rec.events or 0, now()
    if type(id) == "number" and id >= S.next_id then S.next_id = math.floor(id) + 1 end
end

-- Tells the host that a task is running, or how it ended (bios leaves its hook in rednet's
-- env; lua/README.md).
local function tell_host(rec, status)
    if S.host then pcall(S.host, rec.id, rec.name ~= nil and tostring(rec.name) or nil, status, rec.error, rec.key) end
end

-- A task ended for good: it leaves every table but the bounded `ended` list.
local function retire(rec, status)
    rec.status, rec.ended = status, now()
    tell_host(rec, status)
    if rec.coro and coroutine.status(rec.coro) == "suspended" and coroutine.close then
        pcall(coroutine.close, rec.coro) -- runs its to-be-closed variables
    end
    rec.coro, rec.filter, rec.state, rec.fn, rec.args, rec.timer = nil, nil, nil, nil, nil, nil
    S.ended[#S.ended + 1] = rec
    if #S.ended > ENDED_MAX then table.remove(S.ended, 1) end
end

-- Takes a task out of the live and waiting tables (cancelling a pending restart timer).
local function unlink(id, rec)
    if S.tasks[id] == rec then remove_task(id) end
    if S.waiting[id] == rec then
        S.waiting[id] = nil
        if rec.timer then
            S.timers[rec.timer] = nil
            os.cancelTimer(rec.timer)
        end
    end
end

local function finish(id, rec, status)
    unlink(id, rec)
    if rec.status ~= "killed" then retire(rec, status) end
end

-- Parks a supervised task until its (re)start timer fires.
local function schedule(rec, delay, status)
    remove_task(rec.id)
    rec.coro, rec.filter, rec.terminate, rec.status = nil, nil, nil, status
    rec.timer = os.startTimer(delay)
    rec.due = now() + delay
    S.timers[rec.timer] = rec.id
    S.waiting[rec.id] = rec
end

-- A supervised task's timer fired: it becomes live and runs in this same pass, with its
-- arguments (the timer event is ours, so nothing another task needs is consumed).
local function start_due(timer)
    local id = S.timers[timer]
    if id == nil then return end
    S.timers[timer] = nil
    local rec = S.waiting[id]
    if rec == nil or rec.timer ~= timer then return end
    S.waiting[id], rec.timer = nil, nil
    if rec.status == "restarting" then rec.restarts = rec.restarts + 1 end
    rec.coro, rec.args = coroutine.create(rec.fn), rec.policy.args
    rec.status, rec.started = "running", now()
    S.tasks[id] = rec
    tell_host(rec, "running")
end

local function report(rec)
    pcall(printError, ("redrun: %s failed: %s"):format(label(rec), rec.error))
end

local function failed(id, rec, err)
    rec.error = tostring(err)
    rec.traceback = debug.traceback(rec.coro, rec.error)
    report(rec)
    local policy = rec.policy
    if policy and policy.restart == "on-error" and S.tasks[id] == rec then
        -- A task that ran for a good while before failing starts over with a short backoff.
        if now() - (rec.started or 0) >= policy.backoff_max then rec.delay = policy.backoff end
        local delay = rec.delay
        rec.delay = math.min(delay * 2, policy.backoff_max)
        schedule(rec, delay, "restarting")
        tell_host(rec, "restarting")
    else
        finish(id, rec, "errored")
    end
end

local function resume(rec, ...)
    local outer = S.current
    S.current = rec.id
    local ok, result = coroutine.resume(rec.coro, ...)
    S.current = outer
    return ok, result
end

-- Whether a task is resumed with this event: the original's rule (no filter, its filter, or
-- "terminate"), or it is owed a terminate or its start arguments.
local function wants(rec, name)
    return rec.terminate or rec.args ~= nil or rec.filter == nil or rec.filter == name or name == "terminate"
end

-- One task, one event: the dispatch rule, then bookkeeping of how the resume ended.
local function step(id, rec, ev)
    if type(rec) ~= "table" or type(rec.coro) ~= "thread" then error("not a task record", 0) end
    if rec.id == nil then adopt(id, rec) end
    local flagged = rec.terminate
    local ok, result
    if flagged then
        ok, result = resume(rec, "terminate")
    elseif rec.args then
        local args = rec.args
        rec.args = nil
        ok, result = resume(rec, table.unpack(args, 1, args.n))
    elseif wants(rec, ev[1]) then
        ok, result = resume(rec, table.unpack(ev, 1, ev.n))
    else
        return
    end
    rec.events = (rec.events or 0) + 1
    if flagged then
        if not ok and result ~= "Terminated" then rec.error = tostring(result) end
        finish(id, rec, "terminated")
    elseif not ok then
        failed(id, rec, result)
    elseif coroutine.status(rec.coro) ~= "suspended" then
        finish(id, rec, "finished")
    else
        reindex(id, rec, result)
    end
end

-- A (re)start timer can fire before the hook sees events: the first event after init still
-- reaches rednet.run through the os.pullEventRaw it was already waiting in. So parked tasks
-- whose time has come are also started from any later event.
local function start_overdue()
    local ids = sorted_keys(S.waiting)
    for i = 1, #ids do
        local rec = S.waiting[ids[i]]
        if rec and rec.timer and rec.due and rec.due <= now() then start_due(rec.timer) end
    end
end

local function dispatch(ev)
    local name, tasks = ev[1], S.tasks
    if name == "timer" then start_due(ev[2]) end
    if next(S.waiting) ~= nil then start_overdue() end
    -- A snapshot: a task started during this pass first runs at the next event.
    local ids = candidates(name)
    for i = 1, #ids do
        local id = ids[i]
        local rec = tasks[id]
        if rec == nil then S.eager[id] = nil end -- removed behind the index's back
        -- Odd entries go through step too, which drops them with a message.
        if rec ~= nil and (type(rec) ~= "table" or wants(rec, name)) then
            local ok, err = pcall(step, id, rec, ev)
            if not ok then
                if tasks[id] == rec then remove_task(id) end
                pcall(printError, ("redrun: dropped task %s: %s"):format(tostring(id), tostring(err)))
            end
        end
    end
end

-- Installs (or takes over from another RedRun copy) the proxy `os` in rednet's env.
local function install_hook(env)
    local function pull_event_raw()
        local ev = table.pack(coroutine.yield())
        local ok, err = pcall(dispatch, ev)
        if not ok then pcall(printError, "redrun: dispatcher error: " .. tostring(err)) end
        return table.unpack(ev, 1, ev.n)
    end
    env.os = setmetatable({ pullEventRaw = pull_event_raw }, { __index = os, __isredrun = true })
end

-- rednet's private environment, or nil and why not. Hooking _G.os would hook every program.
local function rednet_env()
    if type(getfenv) ~= "function" then return nil, "getfenv is not available" end
    if type(rednet) ~= "table" or type(rednet.run) ~= "function" then return nil, "the rednet API is not loaded" end
    local ok, env = pcall(getfenv, rednet.run)
    if not ok or type(env) ~= "table" then return nil, "rednet.run has no environment" end
    if env == _G then return nil, "rednet.run uses the global environment" end
    return env
end

--- Initialises RedRun (done silently on require). Returns true, or false and the reason
-- it refused to hook. Calling it again is harmless.
-- @param silent Truthy to not print "Successfully registered RedRun.".
function redrun.init(silent)
    if S then return true end
    local env, why = rednet_env()
    if not env then
        init_error = why
        if not silent then printError("RedRun: cannot register: " .. why) end
        return false, why
    end
    local shared = rawget(env, "__redrun")
    if type(shared) == "table" then
        S = shared -- another copy of this module got here first
        return true
    end
    local existing = rawget(env, "__redrun_coroutines")
    S = {
        tasks = type(existing) == "table" and existing or {},
        waiting = {}, timers = {}, ended = {}, next_id = 1, barrier = 0,
        host = type(rawget(env, "__redrun_host")) == "function" and rawget(env, "__redrun_host") or nil,
        run_error = type(rawget(env, "__redrun_run_error")) == "function" and rawget(env, "__redrun_run_error")
            or function() return nil end,
    }
    for _, id in ipairs(sorted_keys(S.tasks)) do
        if type(S.tasks[id]) == "table" and S.tasks[id].id == nil then adopt(id, S.tasks[id]) end
    end
    S.eager, S.listening = {}, {}
    for id in pairs(S.tasks) do S.eager[id] = true end
    S.indexed = watch_additions(S.tasks)
    env.__redrun_coroutines, env.__redrun = S.tasks, S
    install_hook(env)
    if not silent and existing == nil then print("Successfully registered RedRun.") end
    return true
end

local function state()
    if not S then error("RedRun is not available: " .. tostring(init_error), 3) end
    return S
end

local function new_record(name)
    local rec = { name = name, status = "running", started = now(), events = 0, restarts = 0 }
    rec.id = new_id()
    return rec
end

--- Starts a task in the background. It first runs when the hook next sees an event; its
-- `...` is then the start arguments if any were given, else that event (as the original).
-- @return The task's id (never reused).
function redrun.start(func, name, ...)
    expect(1, func, "function")
    state()
    local rec = new_record(name)
    rec.coro = coroutine.create(func)
    if select("#", ...) > 0 then rec.args = table.pack(...) end
    S.tasks[rec.id] = rec
    tell_host(rec, "running")
    return rec.id
end

-- The error a failed command line ends with: the program's own message when there is one
-- (the shell has printed it too), else a generic one.
local function command_error(command, ran, message)
    if message ~= nil and message ~= "" then return tostring(message) end
    if not ran then return "No such program: " .. command end
    return "command failed: " .. command
end

-- A task function running a shell command line; it fails, with the program's own error, if
-- the program failed. The shell sees an `os` whose `run` notes what the program raised, as
-- bios kept it for this coroutine (the last os.run to return is the outermost: the command's
-- program), so os.run and shell.execute keep CC's plain results while the task learns why.
local function command_task(command, dir)
    return function()
        local ok, ran, message = false, false, nil
        local function run(...)
            local run_ok = os.run(...)
            ran, message = true, not run_ok and S.run_error() or nil
            return run_ok
        end
        local shell_os = setmetatable({ run = run }, { __index = os })
        os.run({ os = shell_os }, "/rom/programs/shell.lua", function(shell)
            if dir and dir ~= "" and fs.isDir(dir) then shell.setDir(dir) end
            ok = shell.run(command) == true
        end)
        if not ok then error(command_error(command, ran, message), 0) end
    end
end

local POLICIES = { never = true, ["on-error"] = true }

--- Starts a supervised task: `fn` (or the shell command line `command`) with `args`,
-- started by a timer (so it starts promptly even on an idle computer) and, with
-- restart = "on-error", restarted `backoff` seconds after an error, the delay doubling up to
-- `backoff_max`. The task keeps its id (and getstate table) across restarts.
-- @return The task's id.
function redrun.supervise(spec)
    expect(1, spec, "table")
    local fn = field(spec, "fn", "function", "nil")
    local command = field(spec, "command", "string", "nil")
    if not fn and not command then error("bad field 'fn' (function expected, got nil)", 2) end
    local restart = field(spec, "restart", "string", "nil") or "never"
    if not POLICIES[restart] then error("bad field 'restart' (expected \"never\" or \"on-error\")", 2) end
    local backoff = field(spec, "backoff", "number", "nil") or 1
    local backoff_max = field(spec, "backoff_max", "number", "nil") or 60
    local args = field(spec, "args", "table", "nil") or {}
    field(spec, "dir", "string", "nil")
    state()
    local rec = new_record(spec.name)
    rec.fn = fn or command_task(command, spec.dir)
    rec.key = type(spec.key) == "number" and spec.key or nil -- the host's handle (boot tasks)
    rec.delay = backoff
    rec.policy = {
        restart = restart, backoff = backoff, backoff_max = math.max(backoff, backoff_max),
        args = table.pack(table.unpack(args, 1, args.n or #args)),
    }
    schedule(rec, 0, "starting")
    return rec.id
end

local function live(id) return S.tasks[id] or S.waiting[id] end

--- The id of the first (lowest-id) live task whose name equals `name`, or nil.
function redrun.getid(name)
    if not S then return nil end
    local best
    for _, t in ipairs({ S.tasks, S.waiting }) do
        for id, rec in pairs(t) do
            if type(rec) == "table" and rec.name == name and (best == nil or key_order(id, best)) then best = id end
        end
    end
    return best
end

--- The task's shared state table (created on first use), or nil if it is not live.
function redrun.getstate(id)
    expect(1, id, "number")
    local rec = S and live(id)
    if type(rec) ~= "table" then return nil end
    rec.state = rec.state or {}
    return rec.state
end

--- Kills a task at once: no "terminate", no cleanup. Unknown ids are ignored.
function redrun.kill(id)
    expect(1, id, "number")
    local rec = S and live(id)
    if rec == nil then return end
    unlink(id, rec)
    if type(rec) == "table" then
        rec.id = rec.id or id
        retire(rec, "killed")
    end
end

--- Terminates a task: it gets one "terminate" (at the next event) and is then removed.
-- Returns after a barrier event has gone round, so in steady state the task is gone.
function redrun.terminate(id)
    expect(1, id, "number")
    local rec = S and live(id)
    if type(rec) ~= "table" then error("Task ID " .. id .. " is not running", 2) end
    if S.waiting[id] == rec then -- not running right now: nothing to deliver
        unlink(id, rec)
        retire(rec, "terminated")
        return
    end
    rec.terminate = true
    reindex(id, rec, rec.filter)
    S.barrier = S.barrier + 1
    local token = S.barrier
    os.queueEvent("redrun_pause", token)
    repeat
        local _, got = os.pullEvent("redrun_pause")
    until got == token
end

--- Every task, live and ended (the last ENDED_MAX), as copies sorted by id.
function redrun.list()
    local out = {}
    if not S then return out end
    for _, t in ipairs({ S.tasks, S.waiting }) do
        for id, rec in pairs(t) do
            if type(rec) == "table" then
                if rec.id == nil then adopt(id, rec) end
                out[#out + 1] = view(rec)
            end
        end
    end
    for _, rec in ipairs(S.ended) do out[#out + 1] = view(rec) end
    table.sort(out, function(a, b)
        if a.id ~= b.id then return key_order(a.id, b.id) end
        return (a.started or 0) < (b.started or 0)
    end)
    return out
end

--- One task's record (a copy), live or recently ended, or nil.
function redrun.status(id)
    expect(1, id, "number")
    if not S then return nil end
    local rec = live(id)
    if type(rec) == "table" then return view(rec) end
    for i = #S.ended, 1, -1 do
        if S.ended[i].id == id then return view(S.ended[i]) end
    end
    return nil
end

--- The id of the task that is running now, or nil outside tasks.
function redrun.self()
    return S and S.current
end

redrun.init(...)
return redrun
