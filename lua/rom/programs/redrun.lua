-- redrun: operator commands for RedRun background tasks (lua/rom/modules/main/redrun.lua).
-- Written for redrund.
--
--   redrun                               register RedRun (prints once, as the original)
--   redrun list                          every task, live and recently ended
--   redrun status <id>                   one task, with its error and traceback
--   redrun start <name> <command...>     run a command line in the background
--   redrun supervise <name> <command...> the same, restarted with backoff when it fails
--   redrun kill <id> | terminate <id>

-- Loaded by path: from this directory `require "redrun"` would find this program itself.
-- Called with a module name, as require would, the module registers silently.
local function load_redrun(...)
    return assert(loadfile("/rom/modules/main/redrun.lua", nil, _ENV))(...)
end

local args = { ... }
local program_name = arg and arg[0] or "redrun"

local function usage()
    print("Usages:")
    print(program_name)
    print(program_name .. " list")
    print(program_name .. " status <id>")
    print(program_name .. " start <name> <command...>")
    print(program_name .. " supervise <name> <command...>")
    print(program_name .. " kill <id>")
    print(program_name .. " terminate <id>")
end

if #args == 0 then
    load_redrun() -- as running the original as a program: prints when it registers
    return
end

local redrun = load_redrun("redrun")
local command = args[1]

local function id_argument()
    local id = tonumber(args[2])
    if not id then
        usage()
        error("expected a task id", 0)
    end
    return id
end

local function start(restart)
    if #args < 3 then
        usage()
        error("expected a name and a command line", 0)
    end
    local id = redrun.supervise({
        name = args[2], command = table.concat(args, " ", 3), restart = restart,
        dir = shell and shell.dir() or nil,
    })
    print(("Started task %d (%s)"):format(id, args[2]))
end

if command == "list" then
    local rows = redrun.list()
    if #rows == 0 then
        print("No tasks.")
        return
    end
    -- Fixed columns, the name column as wide as the longest name: stable, greppable output.
    local name_width = 4
    for _, t in ipairs(rows) do name_width = math.max(name_width, #tostring(t.name)) end
    local line = "%-4s %-" .. name_width .. "s %-10s %6s %8s"
    print(line:format("ID", "NAME", "STATUS", "EVENTS", "RESTARTS"))
    for _, t in ipairs(rows) do
        print(line:format(t.id, tostring(t.name), t.status, t.events, t.restarts))
    end
    for _, t in ipairs(rows) do
        if t.error then printError(("%d: %s"):format(t.id, t.error)) end
    end
elseif command == "status" then
    local t = redrun.status(id_argument())
    if not t then error("Task ID " .. args[2] .. " is not known", 0) end
    for _, key in ipairs({ "id", "name", "status", "restart", "restarts", "events", "started" }) do
        print(("%s: %s"):format(key, tostring(t[key])))
    end
    if t.error then printError("error: " .. t.error) end
    if t.traceback then print(t.traceback) end
elseif command == "start" then
    start("never")
elseif command == "supervise" then
    start("on-error")
elseif command == "kill" then
    redrun.kill(id_argument())
elseif command == "terminate" then
    local ok, err = pcall(redrun.terminate, id_argument())
    if not ok then error(err, 0) end
else
    usage()
end
