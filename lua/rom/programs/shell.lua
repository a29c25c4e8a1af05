--- The shell: finds and runs programs (CC's shell program and `shell` API).
-- Written for redrund from CC's documented behaviour; CC's own shell is not used.
--
-- `shell <command> [args...]` runs one command and exits; with no arguments it reads
-- commands with read() until input ends. bios may instead pass a single function, which is
-- called with the `shell` object (no command line can produce a function argument); this
-- is how a startup program gets its arguments unsplit.

local expect = dofile("rom/modules/main/cc/expect.lua").expect
local make_require = dofile("rom/modules/main/cc/require.lua").make

local parent = shell -- set when this shell was started from another shell
local shell = {}

local dir = parent and parent.dir() or ""
-- CC's rom/startup.lua puts the rednet programs (repeat) on a computer's path.
local path = parent and parent.path() or ".:/rom/programs:/rom/programs/rednet"
local aliases = parent and parent.aliases() or {
    ls = "list", dir = "list", cp = "copy", mv = "move", rm = "delete",
    clr = "clear", rs = "redstone", sh = "shell",
}
local completion = {}
local running = {} -- stack of resolved program paths
local exit_requested = false

-- Splits a command line into words; "double quotes" group words and are dropped.
local function tokenise(line)
    local words, quoted = {}, false
    for part in (line .. '"'):gmatch('(.-)"') do
        if quoted then
            words[#words + 1] = part
        else
            for word in part:gmatch("[^ \t]+") do words[#words + 1] = word end
        end
        quoted = not quoted
    end
    return words
end

function shell.dir() return dir end

function shell.setDir(new_dir)
    expect(1, new_dir, "string")
    if not fs.isDir(new_dir) then error("Not a directory", 2) end
    dir = fs.combine(new_dir, "")
end

function shell.path() return path end

function shell.setPath(new_path)
    expect(1, new_path, "string")
    path = new_path
end

--- An absolute path from one relative to the current directory.
function shell.resolve(local_path)
    expect(1, local_path, "string")
    local first = local_path:sub(1, 1)
    if first == "/" or first == "\\" then return fs.combine("", local_path) end
    return fs.combine(dir, local_path)
end

local function existing_program(file)
    if fs.exists(file) and not fs.isDir(file) then return file end
    if fs.exists(file .. ".lua") and not fs.isDir(file .. ".lua") then return file .. ".lua" end
    return nil
end

--- The file a command runs: aliases first, then a path if the command has a slash, else a
-- search of the shell path.
function shell.resolveProgram(command)
    expect(1, command, "string")
    command = aliases[command] or command
    if command:find("[/\\]") then return existing_program(shell.resolve(command)) end
    for entry in path:gmatch("[^:]+") do
        local found = existing_program(fs.combine(shell.resolve(entry), command))
        if found then return found end
    end
    return nil
end

function shell.aliases()
    local copy = {}
    for k, v in pairs(aliases) do copy[k] = v end
    return copy
end

function shell.setAlias(alias, program)
    expect(1, alias, "string")
    expect(2, program, "string")
    aliases[alias] = program
end

function shell.clearAlias(alias)
    expect(1, alias, "string")
    aliases[alias] = nil
end

function shell.programs(include_hidden)
    expect(1, include_hidden, "boolean", "nil")
    local found, names = {}, {}
    for entry in path:gmatch("[^:]+") do
        local where = shell.resolve(entry)
        if fs.isDir(where) then
            for _, file in ipairs(fs.list(where)) do
                if not fs.isDir(fs.combine(where, file)) and (include_hidden or file:sub(1, 1) ~= ".") then
                    local name = file:gsub("%.lua$", "")
                    if not found[name] then
                        found[name] = true
                        names[#names + 1] = name
                    end
                end
            end
        end
    end
    table.sort(names)
    return names
end

function shell.getRunningProgram() return running[#running] end

function shell.exit() exit_requested = true end

--- Runs a program with already split arguments; false if it is missing or raised.
function shell.execute(command, ...)
    expect(1, command, "string")
    local program = shell.resolveProgram(command)
    if not program then
        printError("No such program")
        return false
    end
    running[#running + 1] = program
    local env = { shell = shell, arg = { [0] = command, ... } }
    env.require, env.package = make_require(env, fs.getDir(program))
    local ok = os.run(env, program, ...)
    running[#running] = nil
    return ok
end

--- Runs a command line (the words are joined with spaces and split again).
function shell.run(...)
    local words = tokenise(table.concat({ ... }, " "))
    if #words == 0 then return false end
    return shell.execute(table.unpack(words))
end

-- Completion is interactive; headless computers only need these to exist.
function shell.complete(line)
    expect(1, line, "string")
    return nil
end

function shell.completeProgram(prefix)
    expect(1, prefix, "string")
    local results = {}
    for _, name in ipairs(shell.programs()) do
        if #name > #prefix and name:sub(1, #prefix) == prefix then results[#results + 1] = name:sub(#prefix + 1) end
    end
    return results
end

function shell.setCompletionFunction(program, fn)
    expect(1, program, "string")
    expect(2, fn, "function")
    completion[program] = { fnComplete = fn }
end

function shell.getCompletionInfo() return completion end

---------------------------------------------------------------------------------------------

local args = table.pack(...)
if args.n == 1 and type(args[1]) == "function" then
    args[1](shell)
elseif args.n > 0 then
    shell.run(...)
else
    if not parent then
        print(os.version())
        if settings.get("shell.allow_startup") then
            local startup = existing_program("startup")
            if startup then shell.run("/" .. startup) end
        end
    end
    while not exit_requested do
        if term.isColour() then term.setTextColour(colours.yellow) end
        write(shell.dir() .. "> ")
        term.setTextColour(colours.white)
        local line = read()
        if line == nil then
            print() -- input ended: finish the prompt's line
            break
        end
        if line:match("%S") then shell.run(line) end
    end
end
