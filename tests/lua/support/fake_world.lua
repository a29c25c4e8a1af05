--- A deterministic world of fake computers, run inside one real computer, for testing the
-- ROM's rednet, gps and repeat code before (and besides) real multi-computer worlds.
--
-- Each fake computer is a set of coroutines sharing one environment with a minimal `os`,
-- `peripheral`, `rs`, `term` and `print`. Modems are Lua objects; `world:connect` links
-- them, and `transmit` queues a `modem_message` (with a deep copy of the payload and the
-- distance between the computers) on every linked modem that has the channel open. Time is
-- virtual: timers fire only when the test calls `world:advance(seconds)`.
--
-- The real ROM files are loaded into the computers (`computer:load_api`,
-- `computer:run_program`), so what is tested is the code the host boots.
--
--     local world = fake_world.new()
--     local a = world:add_computer(1, { 0, 0, 0 })
--     local b = world:add_computer(2, { 3, 4, 0 })
--     world:connect(a:add_modem("top"), b:add_modem("left"))
--     a:start_rednet(); b:start_rednet()
--     b:spawn(function(env) env.rednet.open("left"); got = { env.rednet.receive() } end)
--     a:spawn(function(env) env.rednet.open("top"); env.rednet.send(2, "hi") end)
--     world:run()

local fake_world = {}

-- Where the ROM is seen from inside this computer. Under redrund it is /rom; under a plain
-- interpreter run from the repository root, lua/rom.
local function default_rom_root()
    if fs and fs.exists and fs.exists("/rom") then return "/" end
    return "lua/"
end

local SIDES = { "bottom", "top", "back", "front", "right", "left" }
local EVENTS_MAX = 100000 -- a run that delivers more than this is treated as a livelock

local real_loadfile = loadfile

local World = {}
World.__index = World

--- Finds upvalue `name` of function `fn`; returns its value and whether it exists.
function fake_world.get_upvalue(fn, name)
    for i = 1, math.huge do
        local upvalue_name, value = debug.getupvalue(fn, i)
        if upvalue_name == nil then return nil, false end
        if upvalue_name == name then return value, true end
    end
end

-- Copies a modem payload the way the host marshals it: tables become fresh tables (shared
-- and cyclic references kept), metatables are dropped, functions and threads vanish.
local function deep_copy(value, seen)
    local t = type(value)
    if t == "function" or t == "thread" or t == "userdata" then return nil end
    if t ~= "table" then return value end
    if seen[value] then return seen[value] end
    local copy = {}
    seen[value] = copy
    for k, v in next, value do
        local ck, cv = deep_copy(k, seen), deep_copy(v, seen)
        if ck ~= nil and cv ~= nil then copy[ck] = cv end
    end
    return copy
end

local function copy_args(...)
    local args = table.pack(...)
    for i = 1, args.n do args[i] = deep_copy(args[i], {}) end
    return args
end

local function check_channel(ch)
    if type(ch) ~= "number" or ch ~= ch or ch < 0 or ch > 65535 then
        error("Expected number in range 0-65535", 3)
    end
    return math.floor(ch)
end

---------------------------------------------------------------------------------------------
-- Terminal: an unbounded grid of lines, enough for programs that move the cursor up.

local function new_term()
    local term = { lines = {}, x = 1, y = 1 }

    local function put(text)
        if text == "" then return end
        local line = term.lines[term.y] or ""
        if #line < term.x - 1 then line = line .. (" "):rep(term.x - 1 - #line) end
        term.lines[term.y] = line:sub(1, term.x - 1) .. text .. line:sub(term.x + #text)
        term.x = term.x + #text
    end

    function term.write(text)
        text = tostring(text)
        local first = true
        for piece in (text .. "\n"):gmatch("([^\n]*)\n") do
            if not first then term.x, term.y = 1, term.y + 1 end
            put(piece)
            first = false
        end
    end
    function term.getCursorPos() return term.x, term.y end
    function term.setCursorPos(x, y) term.x, term.y = math.floor(x), math.floor(y) end
    function term.clearLine() term.lines[term.y] = "" end
    function term.getSize() return 51, 19 end
    function term.isColour() return false end
    term.isColor = term.isColour
    function term.setTextColour() end
    term.setTextColor = term.setTextColour
    return term
end

---------------------------------------------------------------------------------------------
-- Modems.

local Modem = {}
Modem.__index = Modem

local function new_modem(computer, name, wireless)
    local modem = setmetatable({
        computer = computer,
        name = name,          -- the name its events carry (a side, or a remote name)
        wireless = wireless,
        channels = {},        -- open channel -> true
        links = {},           -- linked modems, in connection order
        transmitted = {},     -- { channel, reply_channel, payload } per transmit, for tests
    }, Modem)
    modem.methods = {
        open = function(ch) modem.channels[check_channel(ch)] = true end,
        close = function(ch) modem.channels[check_channel(ch)] = nil end,
        isOpen = function(ch) return modem.channels[check_channel(ch)] == true end,
        closeAll = function() modem.channels = {} end,
        isWireless = function() return modem.wireless end,
        transmit = function(ch, reply, payload) modem:transmit(ch, reply, payload) end,
    }
    modem.types = { "modem" }
    return modem
end

function Modem:transmit(channel, reply_channel, payload)
    channel, reply_channel = check_channel(channel), check_channel(reply_channel)
    self.transmitted[#self.transmitted + 1] = { channel, reply_channel, payload }
    for _, other in ipairs(self.links) do
        if other.channels[channel] then
            other.computer:queue("modem_message", other.name, channel, reply_channel,
                deep_copy(payload, {}), self.computer.world:distance(self, other))
        end
    end
end

--- The sorted list of open channels, for assertions.
function Modem:open_channels()
    local list = {}
    for ch in pairs(self.channels) do list[#list + 1] = ch end
    table.sort(list)
    return list
end

---------------------------------------------------------------------------------------------
-- Computers.

local Computer = {}
Computer.__index = Computer

-- The native-style peripheral functions over this computer's attached peripherals. With
-- `rom_peripheral`, rom/apis/peripheral.lua is loaded on top of these, as the host does.
local function native_peripheral(computer)
    local p = {}
    local function get(name)
        local device = computer.peripherals[name]
        if device == nil then error("No peripheral attached", 3) end
        return device
    end
    function p.getNames()
        local names = {}
        for _, side in ipairs(SIDES) do
            if computer.peripherals[side] then names[#names + 1] = side end
        end
        return names
    end
    function p.isPresent(name) return computer.peripherals[name] ~= nil end
    function p.getType(name)
        local device = computer.peripherals[name]
        if device then return table.unpack(device.types) end
        return nil
    end
    function p.hasType(name, wanted)
        local device = computer.peripherals[name]
        if not device then return nil end
        for _, t in ipairs(device.types) do if t == wanted then return true end end
        return false
    end
    function p.getMethods(name)
        local device = computer.peripherals[name]
        if not device then return nil end
        local list = {}
        for method in pairs(device.methods) do list[#list + 1] = method end
        table.sort(list)
        return list
    end
    function p.call(name, method, ...)
        local fn = get(name).methods[method]
        if fn == nil then error("No such method " .. tostring(method), 2) end
        return fn(...)
    end
    return p
end

-- The small Lua-level peripheral API CC's own fake computers provide (no remote names).
local function simple_peripheral(computer)
    local p = native_peripheral(computer)
    p.hasType = nil
    function p.wrap(name)
        local device = computer.peripherals[name]
        if not device then return nil end
        local wrapped = {}
        for method, fn in pairs(device.methods) do wrapped[method] = fn end
        return wrapped
    end
    return p
end

local function make_env(computer, options)
    local world = computer.world
    local env = {
        _VERSION = _VERSION, _HOST = "fake_world",
        assert = assert, error = error, getmetatable = getmetatable, ipairs = ipairs,
        next = next, pairs = pairs, pcall = pcall, rawequal = rawequal, rawget = rawget,
        rawlen = rawlen, rawset = rawset, select = select, setmetatable = setmetatable,
        tonumber = tonumber, tostring = tostring, type = type, xpcall = xpcall,
        string = string, table = table, math = math, coroutine = coroutine, debug = debug,
        utf8 = utf8,
    }
    env._G = env

    local os_api = {}
    function os_api.getComputerID() return computer.id end
    function os_api.queueEvent(name, ...)
        if type(name) ~= "string" then error("bad argument #1 (string expected, got "
            .. type(name) .. ")", 2) end
        computer:queue(name, ...)
    end
    function os_api.pullEventRaw(filter) return coroutine.yield(filter) end
    function os_api.pullEvent(filter)
        local event = table.pack(os_api.pullEventRaw(filter))
        if event[1] == "terminate" then error("Terminated", 0) end
        return table.unpack(event, 1, event.n)
    end
    function os_api.startTimer(seconds) return world:start_timer(computer, seconds) end
    function os_api.clock() return world.now end
    function os_api.sleep(seconds)
        local timer = os_api.startTimer(seconds or 0)
        repeat
            local _, id = os_api.pullEvent("timer")
        until id == timer
    end
    env.os = os_api
    env.sleep = os_api.sleep

    env.rs = { getSides = function() return { table.unpack(SIDES) } end }
    env.redstone = env.rs

    env.term = computer.term
    function env.write(text) computer.term.write(text) end
    function env.print(...)
        local parts = table.pack(...)
        for i = 1, parts.n do parts[i] = tostring(parts[i]) end
        computer.term.write(table.concat(parts, "\t", 1, parts.n) .. "\n")
    end
    function env.printError(...)
        computer.printed_errors[#computer.printed_errors + 1] = table.concat({ ... }, "\t")
        env.print(...)
    end

    local rom_root = world.rom_root
    function env.loadfile(path, mode, load_env)
        if type(mode) == "table" and load_env == nil then mode, load_env = nil, mode end
        return real_loadfile(rom_root .. path:gsub("^/", ""), mode or "t", load_env or env)
    end
    function env.dofile(path)
        local fn, err = env.loadfile(path)
        if not fn then error(err, 2) end
        return fn()
    end

    if options.rom_peripheral then
        env.peripheral = native_peripheral(computer)
    else
        env.peripheral = simple_peripheral(computer)
    end
    return env
end

--- Adds a computer with `id` at `position` ({x, y, z}, or nil when distance does not matter).
-- options.rom_peripheral: use rom/apis/peripheral.lua over native-style functions, so remote
-- names through wired hubs work.
function World:add_computer(id, position, options)
    options = options or {}
    local computer = setmetatable({
        world = self,
        id = id,
        position = position,
        peripherals = {},    -- name -> { types = {...}, methods = {...} }
        queue_ = {},
        routines = {},       -- { co = coroutine, filter = string|nil }
        term = new_term(),
        printed_errors = {},
        apis = {},           -- name -> { api = table, env = private environment }
        errors = {},
    }, Computer)
    computer.env = make_env(computer, options)
    self.computers[#self.computers + 1] = computer
    if options.rom_peripheral then computer:load_api("rom/apis/peripheral.lua") end
    return computer
end

--- Attaches a modem on `side` (wireless unless options.wired); returns it.
function Computer:add_modem(side, options)
    options = options or {}
    local modem = new_modem(self, side, not options.wired)
    self.peripherals[side] = modem
    return modem
end

--- Attaches a wired modem on `side` acting as a peripheral hub for `remotes`, a list of
-- { name = "...", device = modem-or-peripheral }. Returns the hub modem.
function Computer:add_hub(side, remotes)
    local hub = new_modem(self, side, false)
    hub.types = { "modem", "peripheral_hub" }
    local by_name = {}
    for _, remote in ipairs(remotes) do
        by_name[remote.name] = remote.device
        remote.device.name = remote.name
    end
    local function get(name)
        local device = by_name[name]
        if device == nil then error("No peripheral: " .. tostring(name), 3) end
        return device
    end
    hub.methods.getNamesRemote = function()
        local names = {}
        for _, remote in ipairs(remotes) do names[#names + 1] = remote.name end
        return names
    end
    hub.methods.isPresentRemote = function(name) return by_name[name] ~= nil end
    hub.methods.getTypeRemote = function(name)
        local device = by_name[name]
        if device then return table.unpack(device.types) end
        return nil
    end
    hub.methods.hasTypeRemote = function(name, wanted)
        local device = by_name[name]
        if not device then return nil end
        for _, t in ipairs(device.types) do if t == wanted then return true end end
        return false
    end
    hub.methods.getMethodsRemote = function(name)
        local device = by_name[name]
        if not device then return nil end
        local list = {}
        for method in pairs(device.methods) do list[#list + 1] = method end
        table.sort(list)
        return list
    end
    hub.methods.callRemote = function(name, method, ...)
        local fn = get(name).methods[method]
        if fn == nil then error("No such method " .. tostring(method), 2) end
        return fn(...)
    end
    self.peripherals[side] = hub
    return hub
end

--- A modem that will be reached through a hub; pass it in add_hub's remotes.
function Computer:remote_modem()
    return new_modem(self, nil, false)
end

--- Loads a ROM API file as os.loadAPI does: a private environment over the computer's
-- globals, whose keys are copied into a new table stored as a global. Returns the table.
function Computer:load_api(path)
    local name = path:match("([^/]+)%.lua$")
    local api_env = setmetatable({}, { __index = self.env })
    local chunk, err = self.env.loadfile(path, nil, api_env)
    if not chunk then error(err, 2) end
    chunk()
    local api = {}
    for k, v in pairs(api_env) do
        if k ~= "_ENV" then api[k] = v end
    end
    self.env[name] = api
    self.apis[name] = { api = api, env = api_env }
    return api
end

--- Loads vector and rednet and starts rednet.run in the background.
function Computer:start_rednet()
    if not self.env.vector then self:load_api("rom/apis/vector.lua") end
    local rednet = self:load_api("rom/apis/rednet.lua")
    self:spawn(function() rednet.run() end)
    return rednet
end

--- Runs fn(env, ...) as a new coroutine of this computer, resuming it straight away.
function Computer:spawn(fn, ...)
    local args = table.pack(...)
    local env = self.env
    local routine = {
        co = coroutine.create(function() return fn(env, table.unpack(args, 1, args.n)) end),
    }
    self.routines[#self.routines + 1] = routine
    self:resume(routine, {})
    return routine
end

--- Runs a ROM program (path under rom/) with string arguments, in its own environment.
function Computer:run_program(path, ...)
    local program_env = setmetatable({}, { __index = self.env })
    program_env.arg = { [0] = path:match("([^/]+)%.lua$"), ... }
    local chunk, err = self.env.loadfile(path, nil, program_env)
    if not chunk then error(err, 2) end
    return self:spawn(function(_, ...) return chunk(...) end, ...)
end

function Computer:queue(name, ...)
    self.queue_[#self.queue_ + 1] = copy_args(name, ...)
end

function Computer:resume(routine, event)
    local ok, filter = coroutine.resume(routine.co, table.unpack(event, 1, event.n))
    if not ok then
        local message = ("computer %s: %s"):format(tostring(self.id),
            debug.traceback(routine.co, tostring(filter)))
        self.errors[#self.errors + 1] = message
        routine.dead = true
        if not self.allow_errors then error(message, 0) end
        return
    end
    if coroutine.status(routine.co) == "dead" then
        routine.dead = true
    else
        routine.filter = filter
    end
end

-- Delivers one queued event to every routine that waits for it, as parallel does.
function Computer:step()
    local event = table.remove(self.queue_, 1)
    if not event then return false end
    local name = event[1]
    for _, routine in ipairs(self.routines) do
        if not routine.dead and (routine.filter == nil or routine.filter == name
            or name == "terminate") then
            self:resume(routine, event)
        end
    end
    local alive = {}
    for _, routine in ipairs(self.routines) do
        if not routine.dead then alive[#alive + 1] = routine end
    end
    self.routines = alive
    return true
end

--- The terminal's lines, 1 to the last written, with "" for untouched ones.
function Computer:output()
    local last = 0
    for y in pairs(self.term.lines) do if y > last then last = y end end
    local lines = {}
    for y = 1, last do lines[y] = self.term.lines[y] or "" end
    return lines
end

--- True while any of the coroutines is still running.
function Computer:is_running(routine)
    if routine then return not routine.dead end
    for _, r in ipairs(self.routines) do
        if not r.dead then return true end
    end
    return false
end

---------------------------------------------------------------------------------------------
-- The world.

function fake_world.new(options)
    options = options or {}
    return setmetatable({
        now = 0,
        computers = {},
        timers = {},        -- { computer, id, deadline, seq }
        timer_seq = 0,
        rom_root = options.rom_root or fake_world.rom_root or default_rom_root(),
    }, World)
end

--- Links modems so that each hears what the others transmit.
function World:connect(...)
    local modems = { ... }
    for i = 1, #modems do
        for j = 1, #modems do
            if i ~= j then
                local links, found = modems[i].links, false
                for _, m in ipairs(links) do if m == modems[j] then found = true end end
                if not found then links[#links + 1] = modems[j] end
            end
        end
    end
end

function World:distance(a, b)
    local p, q = a.computer.position, b.computer.position
    if p == nil or q == nil then return nil end
    local dx, dy, dz = p[1] - q[1], p[2] - q[2], p[3] - q[3]
    return math.sqrt(dx * dx + dy * dy + dz * dz)
end

function World:start_timer(computer, seconds)
    if type(seconds) ~= "number" then
        error("bad argument #1 (number expected, got " .. type(seconds) .. ")", 3)
    end
    computer.next_timer = (computer.next_timer or 0) + 1
    self.timer_seq = self.timer_seq + 1
    self.timers[#self.timers + 1] = {
        computer = computer, id = computer.next_timer,
        deadline = self.now + seconds, seq = self.timer_seq,
    }
    return computer.next_timer
end

--- Delivers queued events, computer by computer, until every queue is empty.
function World:run()
    for _ = 1, EVENTS_MAX do
        local busy = false
        for _, computer in ipairs(self.computers) do
            if computer:step() then busy = true end
        end
        if not busy then return end
    end
    error("fake world: events still queued after " .. EVENTS_MAX .. " deliveries", 2)
end

-- Removes and returns the timers due at the earliest deadline not after `limit`.
function World:pop_due_timers(limit)
    local earliest = nil
    for _, t in ipairs(self.timers) do
        if t.deadline <= limit and (earliest == nil or t.deadline < earliest) then
            earliest = t.deadline
        end
    end
    if earliest == nil then return nil end
    local due, rest = {}, {}
    for _, t in ipairs(self.timers) do
        if t.deadline == earliest then due[#due + 1] = t else rest[#rest + 1] = t end
    end
    self.timers = rest
    table.sort(due, function(a, b) return a.seq < b.seq end)
    return earliest, due
end

--- Moves the clock forward by `seconds`, firing timers in order and running after each.
function World:advance(seconds)
    local target = self.now + (seconds or 0)
    self:run()
    while true do
        local deadline, due = self:pop_due_timers(target)
        if not deadline then break end
        self.now = math.max(self.now, deadline)
        for _, t in ipairs(due) do t.computer:queue("timer", t.id) end
        self:run()
    end
    self.now = target
    self:run()
end

return fake_world
