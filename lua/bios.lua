-- redrund's bios: the body of a computer's top-level coroutine.
--
-- Written for redrund from the behaviour described in
-- /work/shared/reference/cc-tweaked-behaviour.md (§4.1, §6, §8); CC: Tweaked's own bios is
-- not used. The host calls this chunk with one argument, the private `host` table
-- (lua/README.md). Only the individual host functions are kept as upvalues, so that a
-- script walking upvalues with the debug library never gets the whole table.

local host = ...
local host_read_line = host.read_line
local host_set_error_output = host.set_error_output
local host_program_finished = host.program_finished
local host_load_rom = host.load_rom
local host_set_eval_environment = host.set_eval_environment
local host_task_ended = host.task_ended
local startup = host.startup
local boot_tasks = host.tasks -- plain data: { {name=, command=, restart=}, ... }
host = nil

local expect
do
    -- cc.expect is loaded by hand: loadfile and require do not exist yet.
    local file = fs.open("rom/modules/main/cc/expect.lua", "r")
    local text = file.readAll()
    file.close()
    expect = assert(load(text, "@/rom/modules/main/cc/expect.lua", "t", _ENV))().expect
end

local native_shutdown, native_reboot = os.shutdown, os.reboot

---------------------------------------------------------------------------------------------
-- Lua 5.1/5.2 compatibility that CC programs expect (§8).

unpack = table.unpack
loadstring = load

function table.getn(t) return #t end

function table.maxn(t)
    local max = 0
    for k in pairs(t) do
        if type(k) == "number" and k > max then max = k end
    end
    return max
end

function table.foreach(t, fn)
    for k, v in pairs(t) do
        local result = fn(k, v)
        if result ~= nil then return result end
    end
end

function table.foreachi(t, fn)
    for i = 1, #t do
        local result = fn(i, t[i])
        if result ~= nil then return result end
    end
end

math.mod = math.fmod
string.gfind = string.gmatch

-- Present when the host's Lua is built with LUA_COMPAT_MATHLIB; filled in otherwise.
math.pow = math.pow or function(x, y) return x ^ y end
math.log10 = math.log10 or function(x) return math.log(x, 10) end

_HOST = "ComputerCraft 1.113.1 (redrund 0.1)"
_CC_DEFAULT_SETTINGS = ""

---------------------------------------------------------------------------------------------
-- getfenv / setfenv (§6): emulated on _ENV upvalues, like Cobalt.

-- Index of the upvalue named _ENV of a Lua function, or nil.
local function env_upvalue(fn)
    local i = 1
    while true do
        local name = debug.getupvalue(fn, i)
        if name == nil then return nil end
        if name == "_ENV" then return i end
        i = i + 1
    end
end

-- Turns getfenv/setfenv's first argument into a function; `level` 1 is the caller of the
-- public function, which itself sits two frames above this helper.
local function function_at(f, fname)
    if type(f) == "function" then return f end
    if type(f) ~= "number" then
        error(("bad argument #1 to '%s' (number expected, got %s)"):format(fname, type(f)), 3)
    end
    if f < 0 then error(("bad argument #1 to '%s' (level must be non-negative)"):format(fname), 3) end
    if f == 0 then return nil end
    local info = debug.getinfo(f + 2, "f")
    if not info then error(("bad argument #1 to '%s' (invalid level)"):format(fname), 3) end
    return info.func
end

function getfenv(f)
    if f == nil then f = 1 end
    local fn = function_at(f, "getfenv")
    if fn == nil or debug.getinfo(fn, "S").what == "C" then return _G end
    local index = env_upvalue(fn)
    if index then
        local _, env = debug.getupvalue(fn, index)
        if type(env) == "table" then return env end
    end
    return _G
end

function setfenv(f, env)
    expect(2, env, "table")
    local fn = function_at(f, "setfenv")
    if fn == nil or debug.getinfo(fn, "S").what == "C" then
        error("'setfenv' cannot change environment of given object", 2)
    end
    local index = env_upvalue(fn)
    if index then
        -- A fresh upvalue cell: siblings from the same chunk keep sharing the old one.
        debug.upvaluejoin(fn, index, function() return env end, 1)
    end
    return fn
end

---------------------------------------------------------------------------------------------
-- bit32 on 5.4 integers with 32-bit semantics, and CC's older `bit` built from it.

do
    local MASK = 0xFFFFFFFF

    -- Numbers are reduced modulo 2^32 after truncation toward zero, as a C cast would.
    local function u32(n, index)
        expect(index, n, "number")
        local i = math.tointeger(n)
        if not i then
            if n ~= n or n == math.huge or n == -math.huge then return 0 end
            n = n >= 0 and math.floor(n) or math.ceil(n)
            i = math.tointeger(math.fmod(n, 2 ^ 32)) or 0
        end
        return i & MASK
    end

    local function fold(op, initial, ...)
        local result = initial
        for i = 1, select("#", ...) do result = op(result, u32(select(i, ...), i)) end
        return result
    end

    local function left(x, n)
        if n <= -32 or n >= 32 then return 0 end
        if n >= 0 then return (x << n) & MASK end
        return x >> -n
    end

    local function field_args(n, width)
        if n < 0 then error("bad argument #2 (field cannot be negative)", 3) end
        if width <= 0 then error("bad argument #3 (width must be positive)", 3) end
        if n + width > 32 then error("trying to access non-existent bits", 3) end
    end

    bit32 = {
        band = function(...) return fold(function(a, b) return a & b end, MASK, ...) end,
        bor = function(...) return fold(function(a, b) return a | b end, 0, ...) end,
        bxor = function(...) return fold(function(a, b) return a ~ b end, 0, ...) end,
        btest = function(...) return fold(function(a, b) return a & b end, MASK, ...) ~= 0 end,
        bnot = function(x) return ~u32(x, 1) & MASK end,
        lshift = function(x, n) return left(u32(x, 1), math.floor(expect(2, n, "number"))) end,
        rshift = function(x, n) return left(u32(x, 1), -math.floor(expect(2, n, "number"))) end,
        arshift = function(x, n)
            x = u32(x, 1)
            n = math.floor(expect(2, n, "number"))
            if n < 0 then return left(x, -n) end
            if x & 0x80000000 == 0 then return left(x, -n) end
            if n >= 32 then return MASK end
            return ((x >> n) | (MASK << (32 - n))) & MASK
        end,
        lrotate = function(x, n)
            x = u32(x, 1)
            n = math.floor(expect(2, n, "number")) % 32
            return ((x << n) | (x >> (32 - n))) & MASK
        end,
        rrotate = function(x, n)
            x = u32(x, 1)
            n = math.floor(expect(2, n, "number")) % 32
            return ((x >> n) | (x << (32 - n))) & MASK
        end,
        extract = function(x, n, width)
            x = u32(x, 1)
            n = math.floor(expect(2, n, "number"))
            width = math.floor(expect(3, width, "number", "nil") or 1)
            field_args(n, width)
            return (x >> n) & ((1 << width) - 1)
        end,
        replace = function(x, v, n, width)
            x, v = u32(x, 1), u32(v, 2)
            n = math.floor(expect(3, n, "number"))
            width = math.floor(expect(4, width, "number", "nil") or 1)
            field_args(n, width)
            local mask = ((1 << width) - 1) << n
            return (x & ~mask | (v << n) & mask) & MASK
        end,
    }

    bit = {
        bnot = bit32.bnot, band = bit32.band, bor = bit32.bor, bxor = bit32.bxor,
        brshift = bit32.arshift, blshift = bit32.lshift, blogic_rshift = bit32.rshift,
    }
end

---------------------------------------------------------------------------------------------
-- os, in Lua.

function os.version() return "CraftOS 1.9" end

function os.pullEventRaw(filter) return coroutine.yield(filter) end

-- Passes the event through as varargs (no table per event: this runs for every event).
local function raise_on_terminate(name, ...)
    if name == "terminate" then error("Terminated", 0) end
    return name, ...
end

function os.pullEvent(filter)
    return raise_on_terminate(os.pullEventRaw(filter))
end

function sleep(seconds)
    expect(1, seconds, "number", "nil")
    local timer = os.startTimer(seconds or 0)
    repeat
        local _, id = os.pullEvent("timer")
    until id == timer
end
os.sleep = sleep

-- The native calls only request the stop; the computer halts at its next yield.
function os.shutdown()
    native_shutdown()
    while true do coroutine.yield() end
end

function os.reboot()
    native_reboot()
    while true do coroutine.yield() end
end

os.computerID = os.getComputerID
os.computerLabel = os.getComputerLabel

---------------------------------------------------------------------------------------------
-- Terminal output.

-- CC's word wrapping: runs of spaces and tabs are written as they are, "\n" starts a new
-- line, and a word that does not fit moves to the next line (or is cut at the edge when it
-- is wider than the terminal). Returns how many new lines were started.
function write(text)
    expect(1, text, "string", "number")
    text = tostring(text)
    local width, height = term.getSize()
    local x, y = term.getCursorPos()
    local lines = 0

    local function new_line()
        if y < height then
            term.setCursorPos(1, y + 1)
        else
            term.setCursorPos(1, height)
            term.scroll(1)
        end
        x, y = term.getCursorPos()
        lines = lines + 1
    end

    local pos = 1
    while pos <= #text do
        local blank = text:match("^[ \t]+", pos)
        if blank then
            term.write(blank)
            x, y = term.getCursorPos()
            pos = pos + #blank
        elseif text:sub(pos, pos) == "\n" then
            new_line()
            pos = pos + 1
        else
            local word = text:match("^[^ \t\n]+", pos)
            pos = pos + #word
            if #word > width then
                while #word > 0 do
                    if x > width then new_line() end
                    -- Only what fits: the rest goes on the next line.
                    term.write(word:sub(1, width - x + 1))
                    word = word:sub(width - x + 2)
                    x, y = term.getCursorPos()
                end
            else
                if x + #word - 1 > width then new_line() end
                term.write(word)
                x, y = term.getCursorPos()
            end
        end
    end
    return lines
end

function print(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    return write(table.concat(parts, "\t") .. "\n")
end

-- Red on colour terminals; the host sends these lines to the computer's error stream.
function printError(...)
    local old_colour
    if term.isColour() then
        old_colour = term.getTextColour()
        term.setTextColour(0x4000) -- colours.red; the colours API may not be loaded yet
    end
    host_set_error_output(true)
    local ok, err = pcall(print, ...)
    host_set_error_output(false)
    if old_colour then term.setTextColour(old_colour) end
    if not ok then error(err, 0) end
end

-- Headless read: the next line of scripted input, echoed as the typed line would appear
-- (masked by replaceChar, scrolled so its end stays visible). Nil once input runs out.
function read(replace_char, history, complete_fn, default)
    expect(1, replace_char, "string", "nil")
    expect(2, history, "table", "nil")
    expect(3, complete_fn, "function", "nil")
    expect(4, default, "string", "nil")
    local line = host_read_line()
    if line == nil then return nil end
    local shown = line
    if replace_char then shown = replace_char:sub(1, 1):rep(#line) end
    local width = term.getSize()
    local x = term.getCursorPos()
    local room = width - x
    if #shown > room then shown = room > 0 and shown:sub(#shown - room + 1) or "" end
    term.write(shown)
    print()
    return line
end

---------------------------------------------------------------------------------------------
-- Loading code.

function loadfile(path, mode, env)
    if type(mode) == "table" and env == nil then mode, env = nil, mode end -- (path, env)
    expect(1, path, "string")
    expect(2, mode, "string", "nil")
    expect(3, env, "table", "nil")
    -- 5.4's load treats an explicit nil environment as "no _ENV", so default it here.
    local relative = path:gsub("^/+", "")
    -- ROM files come precompiled (same chunk name, no parsing): boots stay fast.
    local rom_chunk = host_load_rom(relative, env or _G)
    if rom_chunk then return rom_chunk end
    local file = fs.open(path, "r")
    if not file then return nil, "File not found" end
    local text = file.readAll() or ""
    file.close()
    return load(text, "@/" .. relative, mode, env or _G)
end

function dofile(path)
    expect(1, path, "string")
    local fn, err = loadfile(path, nil, _G)
    if not fn then error(err, 2) end
    return fn()
end

-- The error of the last os.run that failed, per coroutine (weak keys). CC's os.run returns
-- only false; RedRun's command tasks read the program's own message here (lua/README.md).
local run_errors = setmetatable({}, { __mode = "k" })

function os.run(env, path, ...)
    expect(1, env, "table")
    expect(2, path, "string")
    setmetatable(env, { __index = _G })
    local fn, err = loadfile(path, nil, env)
    if fn then
        local ok, run_err = pcall(fn, ...)
        if ok then return true end
        err = run_err
    end
    if err ~= nil and err ~= "" then printError(err) end
    run_errors[coroutine.running()] = err
    return false
end

local apis_loading = {}

-- The API runs in a private environment; only a copy of its globals becomes _G[name], so
-- its own functions keep seeing the private table (RedRun depends on this, §6).
-- Runs an API file in a private environment whose __index is _G and copies its public values
-- into `api` (CC's os.loadAPI semantics: the API's functions keep the private environment,
-- so getfenv(rednet.run) is that environment, not _G.rednet). Returns false on failure.
local function run_api(path, name, api)
    if apis_loading[name] then
        printError("API " .. name .. " is already being loaded")
        return false
    end
    apis_loading[name] = true

    local env = setmetatable({}, { __index = _G })
    local fn, err = loadfile(path, nil, env)
    local ok = fn ~= nil
    if ok then ok, err = pcall(fn) end
    apis_loading[name] = nil
    if not ok then
        printError(err)
        return false
    end

    for k, v in pairs(env) do
        if k ~= "_ENV" then api[k] = v end
    end
    return true
end

local function api_name(path)
    local name = fs.getName(path)
    if name:sub(-4) == ".lua" then name = name:sub(1, -5) end
    return name
end

function os.loadAPI(path)
    expect(1, path, "string")
    local name = api_name(path)
    local api = {}
    if not run_api(path, name, api) then return false end
    _G[name] = api
    return true
end

-- A ROM API that is loaded the first time anything reads, writes or iterates it. The table in
-- _G is the API table itself, so references taken before first use stay valid. This keeps an
-- idle computer small and its boot fast: most programs use a few of the ROM's APIs.
local function install_lazy_api(path)
    local name = api_name(path)
    local api = {}
    local function materialise()
        setmetatable(api, nil)
        run_api(path, name, api)
    end
    setmetatable(api, {
        __index = function(_, key)
            materialise()
            return rawget(api, key)
        end,
        __newindex = function(_, key, value)
            materialise()
            rawset(api, key, value)
        end,
        __pairs = function()
            materialise()
            return next, api, nil
        end,
        __len = function()
            materialise()
            return rawlen(api)
        end,
    })
    _G[name] = api
end

function os.unloadAPI(name)
    expect(1, name, "string")
    if name ~= "_G" and type(_G[name]) == "table" then _G[name] = nil end
end

---------------------------------------------------------------------------------------------
-- Boot.

-- Loaded at once: what the boot itself and the top level use. The rest load on first use.
-- term and peripheral wrap the native tables of the same name, so they load before those
-- names are replaced.
local eager_apis = { parallel = true, peripheral = true, rednet = true, settings = true, term = true }
for _, file in ipairs(fs.list("rom/apis")) do
    local path = fs.combine("rom/apis", file)
    if not fs.isDir(path) then
        if eager_apis[api_name(path)] then os.loadAPI(path) else install_lazy_api(path) end
    end
end
-- The http API's Lua half, only when the host gave this computer http natives (as CC loads
-- rom/apis/http/http.lua only when http is enabled).
if http then os.loadAPI("rom/apis/http/http.lua") end

-- RedRun keeps its shared state in rednet's private environment; it reports task endings to
-- the host through this hook, which it finds there (lua/README.md).
if rednet and rednet.run then
    local rednet_env = getfenv(rednet.run)
    rednet_env.__redrun_host = host_task_ended
    rednet_env.__redrun_run_error = function() return run_errors[coroutine.running()] end
end

-- Settings CC defines at boot, with their defaults, before the user's .settings is read.
if settings then
    local defaults = {
        ["shell.allow_startup"] = { true, "Run startup files when the computer turns on." },
        ["shell.allow_disk_startup"] = { true, "Run startup files from disk drives." },
        ["shell.autocomplete"] = { true, "Autocomplete program names and arguments in the shell." },
        ["shell.autocomplete_hidden"] = { false, "Autocomplete hidden files and folders." },
        ["lua.autocomplete"] = { true, "Autocomplete globals in the lua program." },
        ["lua.function_args"] = { true, "Show function arguments when printing functions." },
        ["lua.function_source"] = { false, "Show where a function was defined when printing it." },
        ["lua.warn_against_use_of_local"] = { true, "Warn that locals do not survive between lines." },
        ["list.show_hidden"] = { false, "Show hidden files in list and ls." },
        ["edit.autocomplete"] = { true, "Autocomplete in the edit program." },
        ["edit.default_extension"] = { "lua", "Extension added to files opened with edit." },
        ["paint.default_extension"] = { "nfp", "Extension added to files opened with paint." },
        ["bios.use_multishell"] = { true, "Use multishell on advanced computers." },
        ["bios.strict_globals"] = { false, "Error when a program writes an undeclared global." },
        ["motd.enable"] = { false, "Show a message of the day at startup." },
        ["motd.path"] = { "/rom/motd.txt:/motd.txt", "Where to find messages of the day." },
    }
    for name, d in pairs(defaults) do
        settings.define(name, { default = d[1], description = d[2], type = type(d[1]) })
    end
    for entry in _CC_DEFAULT_SETTINGS:gmatch("[^,]+") do
        local name, value = entry:match("^%s*([^=]-)%s*=%s*(.-)%s*$")
        if name and textutils then
            local parsed = textutils.unserialize(value)
            if parsed ~= nil then settings.set(name, parsed) end
        end
    end
    settings.load(".settings")
end

local program_reported = false
local function report_program(ok)
    if startup and not program_reported then
        program_reported = true
        host_program_finished(ok)
    end
end

-- The host's boot tasks become supervised RedRun tasks running their command lines. Called
-- on the shell side before any startup program: the shell side is resumed first, so the hook
-- is in place before rednet.run's first pullEventRaw.
local function start_boot_tasks()
    if type(boot_tasks) ~= "table" or #boot_tasks == 0 then return end
    local ok, err = pcall(function()
        -- Called with a module name, as require would, so it registers silently.
        local redrun = assert(loadfile("rom/modules/main/redrun.lua", nil, _G))("redrun")
        for _, task in ipairs(boot_tasks) do
            redrun.supervise({ name = task.name, command = task.command, restart = task.restart, key = task.key })
        end
    end)
    if not ok then printError("boot tasks: " .. tostring(err)) end
end

-- Chunks the host runs on a client's behalf (lua.eval and the Lua-backed methods) get a
-- program's environment: globals of their own over _G, and require/package rooted at the
-- computer's root directory. They share one require/package, as the lines typed at CC's lua
-- prompt do, so a module (redrun for the task methods) loads once, not on every call; building
-- them per chunk was most of a lua.eval's cost.
local eval_meta = { __index = _G }
local eval_require, eval_package
host_set_eval_environment(function()
    if not eval_require then
        local modules_env = setmetatable({}, eval_meta)
        eval_require, eval_package = dofile("rom/modules/main/cc/require.lua").make(modules_env, "/")
        modules_env.require, modules_env.package = eval_require, eval_package
    end
    return setmetatable({ require = eval_require, package = eval_package }, eval_meta)
end)

-- The shell side of the top level. With a startup program, the shell hands its `shell`
-- object to a function (it accepts one only from here, as a command line cannot contain
-- one), so that the arguments reach the program unsplit; a startup command line is run as
-- typed at the prompt. Afterwards the computer stays on, as a CC computer sits at its shell
-- prompt with rednet.run (and any background tasks) still running.
local function shell_side()
    start_boot_tasks()
    if startup then
        local ok = false
        os.run({}, "rom/programs/shell.lua", function(shell)
            if startup.command then
                ok = shell.run(startup.command) == true
            else
                ok = shell.execute(startup.program, table.unpack(startup.args or {})) == true
            end
        end)
        report_program(ok)
        while true do os.pullEventRaw() end
    else
        -- The shell reads its commands from the scripted input; when that ends, the computer
        -- stays at the prompt (headless computers serve the network and their tasks).
        os.run({}, "rom/programs/shell.lua")
        while true do os.pullEventRaw() end
    end
    os.shutdown()
end

-- Without a rednet API, the partner just waits so the shell still runs under parallel.
local rednet_side = rednet and rednet.run or function()
    while true do coroutine.yield() end
end

local ok, err = pcall(parallel.waitForAny, shell_side, rednet_side)
if not ok then printError(err) end
report_program(false)
os.shutdown()
