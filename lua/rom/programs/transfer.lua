-- transfer: send and fetch files over rednet (protocol in proto/transfer.md). Written for
-- redrund.
--
--   transfer serve [dir]                          serve dir (default /) in the background
--   transfer send <id|hostname> <local> [remote]  push a file to a server
--   transfer fetch <id|hostname> <remote> [local] pull a file from a server
--
-- The server is a RedRun task named "transfer", hosted under the computer's label (or
-- "computer-<id>"). An interrupted transfer leaves <name>.part on the receiving side; running
-- the same command again resumes it.

local transfer = require "redrun.transfer"

local args = { ... }
local program_name = arg and arg[0] or "transfer"

local function usage()
    print("Usages:")
    print(program_name .. " serve [dir]")
    print(program_name .. " send <id|hostname> <local> [remote]")
    print(program_name .. " fetch <id|hostname> <remote> [local]")
end

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

local function serve(dir)
    dir = resolve(dir or "")
    if not fs.isDir(dir) then error("Not a directory: " .. dir, 0) end
    -- Loaded by path: from this directory `require "redrun"` would find the redrun program.
    local redrun = assert(loadfile("/rom/modules/main/redrun.lua", nil, _ENV))("redrun")
    if redrun.getid("transfer") then
        print("Already serving (task " .. redrun.getid("transfer") .. ")")
        return
    end
    open_modems()
    local hostname = os.getComputerLabel() or ("computer-" .. os.getComputerID())
    rednet.host(transfer.PROTOCOL, hostname)
    local id = redrun.supervise({
        name = "transfer", restart = "on-error",
        fn = function() transfer.serve(dir, { log = print }) end,
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
    serve(args[2])
elseif (command == "send" or command == "fetch") and args[2] and args[3] then
    open_modems()
    local peer = find_peer(args[2])
    if command == "send" then
        local path = resolve(args[3])
        if not fs.exists(path) or fs.isDir(path) then error("No such file: " .. path, 0) end
        local remote = args[4] or fs.getName(path)
        local ok, err, info = transfer.send(peer, path, remote)
        report("Sent", ok, err, info, ("%s to computer %d"):format(remote, peer))
    else
        local path = resolve(args[4] or fs.getName(args[3]))
        local ok, err, info = transfer.fetch(peer, args[3], path)
        report("Fetched", ok, err, info, ("%s from computer %d"):format(args[3], peer))
    end
else
    usage()
end
