-- transfer: send and fetch files over rednet (protocol in proto/transfer.md). Written for
-- redrund.
--
--   transfer [options] serve [dir]                          serve dir (default /) in the background
--   transfer [options] send <id|hostname> <local> [remote]  push a file to a server
--   transfer [options] fetch <id|hostname> <remote> [local] pull a file from a server
--
-- Options (anywhere on the line) override the protocol's defaults for this run:
-- --chunk BYTES, --window CHUNKS, --rto S, --rto-max S, --retries N, --idle S, --linger S.
--
-- The server is a RedRun task named "transfer", hosted under the computer's label (or
-- "computer-<id>"). An interrupted transfer leaves <name>.part on the receiving side; running
-- the same command again resumes it.

local transfer = require "redrun.transfer"

local program_name = arg and arg[0] or "transfer"

local function usage()
    print("Usages:")
    print(program_name .. " [options] serve [dir]")
    print(program_name .. " [options] send <id|hostname> <local> [remote]")
    print(program_name .. " [options] fetch <id|hostname> <remote> [local]")
    print("Options: --chunk BYTES --window CHUNKS --rto S --rto-max S --retries N --idle S --linger S")
end

-- Each option: the field of transfer's opts it sets, and its bounds. The chunk and window
-- limits are the ones a receiver enforces on offers, so a bad value fails here, clearly.
local OPTIONS = {
    ["--chunk"] = { key = "chunk", integer = true, min = 1, max = transfer.CHUNK_MAX },
    ["--window"] = { key = "window", integer = true, min = 1, max = transfer.WINDOW_MAX },
    ["--rto"] = { key = "rto", min = 0.05, max = 3600 },
    ["--rto-max"] = { key = "rto_max", min = 0.05, max = 3600 },
    ["--retries"] = { key = "retries", integer = true, min = 0, max = 1000 },
    ["--idle"] = { key = "idle", min = 0.05, max = 86400 },
    ["--linger"] = { key = "linger", min = 0, max = 3600 },
}

local function option_value(name, text)
    local spec = OPTIONS[name]
    local value = tonumber(text)
    local kind = spec.integer and "an integer" or "a number"
    if value == nil or (spec.integer and math.type(value) ~= "integer" and value ~= math.floor(value))
        or value < spec.min or value > spec.max then
        error(("%s expects %s from %s to %s, got %s"):format(name, kind, spec.min, spec.max, tostring(text)), 0)
    end
    return spec.integer and math.tointeger(value) or value
end

-- Splits the command line into options (an opts table for redrun.transfer) and words.
local function parse(argv)
    local opts, words, i = {}, {}, 1
    while i <= #argv do
        local word = argv[i]
        if OPTIONS[word] then
            if argv[i + 1] == nil then error(word .. " needs a value", 0) end
            opts[OPTIONS[word].key] = option_value(word, argv[i + 1])
            i = i + 2
        elseif word:sub(1, 2) == "--" then
            error("Unknown option " .. word, 0)
        else
            words[#words + 1] = word
            i = i + 1
        end
    end
    return opts, words
end

local opts, args = parse({ ... })

-- rednet needs an open modem: open them all.
local function open_modems()
    local any = false
    for _, name in ipairs(peripheral.getNames()) do
        if peripheral.getType(name) == "modem" then
            rednet.open(name)
            any = true
        end
    end
    if not any then error("No modems found.", 0) end
end

local function resolve(path) return shell and shell.resolve(path) or path end

local function find_peer(target)
    local id = tonumber(target)
    if id then return id end
    id = rednet.lookup(transfer.PROTOCOL, target)
    if not id then error("Cannot find host " .. target, 0) end
    return id
end

local function serve(dir, serve_opts)
    dir = resolve(dir or "")
    if not fs.isDir(dir) then error("Not a directory: " .. dir, 0) end
    -- Loaded by path: from this directory `require "redrun"` would find the redrun program.
    local redrun = assert(loadfile("/rom/modules/main/redrun.lua", nil, _ENV))("redrun")
    local task = redrun.getid("transfer")
    -- Run by a task that is itself named "transfer" (a boot task: scenario `tasks`,
    -- host.tasks), it serves right here, under that task's own restart policy.
    local inside = task ~= nil and task == redrun.self()
    if task and not inside then
        print("Already serving (task " .. task .. ")")
        return
    end
    open_modems()
    local hostname = os.getComputerLabel() or ("computer-" .. os.getComputerID())
    rednet.host(transfer.PROTOCOL, hostname)
    if inside then
        print(("Serving /%s as %s (task %d)"):format(dir, hostname, task))
        return transfer.serve(dir, serve_opts)
    end
    local id = redrun.supervise({
        name = "transfer", restart = "on-error",
        fn = function() transfer.serve(dir, serve_opts) end,
    })
    print(("Serving /%s as %s (task %d)"):format(dir, hostname, id))
end

local function report(verb, ok, err, info, what)
    if not ok then error(("%s failed: %s"):format(verb, tostring(err)), 0) end
    local resumed = info.offset > 0 and (", resumed at " .. info.offset) or ""
    print(("%s %s (%d bytes%s)"):format(verb, what, info.size, resumed))
end

local command = args[1]
if command == "serve" then
    opts.log = print
    serve(args[2], opts)
elseif (command == "send" or command == "fetch") and args[2] and args[3] then
    open_modems()
    local peer = find_peer(args[2])
    if command == "send" then
        local path = resolve(args[3])
        if not fs.exists(path) or fs.isDir(path) then error("No such file: " .. path, 0) end
        local remote = args[4] or fs.getName(path)
        local ok, err, info = transfer.send(peer, path, remote, opts)
        report("Sent", ok, err, info, ("%s to computer %d"):format(remote, peer))
    else
        local path = resolve(args[4] or fs.getName(args[3]))
        local ok, err, info = transfer.fetch(peer, args[3], path, opts)
        report("Fetched", ok, err, info, ("%s from computer %d"):format(args[3], peer))
    end
else
    usage()
end
