--- Lua's io library on top of fs handles, as CC provides it (CC's io API).
-- Written for redrund from CC's documented behaviour and the Lua manual's io semantics.
-- Standard input reads lines with read(); standard output writes with write(); standard
-- error sends whole lines through printError so they reach the computer's error stream.

local expect = dofile("rom/modules/main/cc/expect.lua").expect
-- This file defines its own global `type` (io.type), so keep the base function.
local native_type = type

local Handle = {}
local handle_meta = {
    __name = "FILE*",
    __index = Handle,
    __tostring = function(self)
        if self._closed then return "file (closed)" end
        return ("file (%s)"):format(tostring(self._handle):match("0x%x+") or "handle")
    end,
}

local function wrap(handle, std)
    return setmetatable({ _handle = handle, _closed = false, _std = std }, handle_meta)
end

local function check_handle(self, name)
    if getmetatable(self) ~= handle_meta then
        error(("bad argument #1 to '%s' (FILE* expected, got %s)"):format(name, native_type(self)), 3)
    end
    if self._closed then error("attempt to use a closed file", 3) end
    return self._handle
end

function Handle:close()
    local handle = check_handle(self, "close")
    if self._std then return nil, "attempt to close standard stream" end
    handle.close()
    self._closed = true
    return true
end

function Handle:flush()
    local handle = check_handle(self, "flush")
    if handle.flush then handle.flush() end
    return self
end

function Handle:seek(whence, offset)
    local handle = check_handle(self, "seek")
    expect(1, whence, "string", "nil")
    expect(2, offset, "number", "nil")
    if not handle.seek then return nil, "file is not seekable" end
    return handle.seek(whence or "cur", offset or 0)
end

function Handle:setvbuf()
    check_handle(self, "setvbuf")
    return true
end

function Handle:write(...)
    local handle = check_handle(self, "write")
    if not handle.write then return nil, "file is not writable" end
    for i = 1, select("#", ...) do
        local value = select(i, ...)
        if native_type(value) ~= "string" and native_type(value) ~= "number" then
            error(("bad argument #%d to 'write' (string expected, got %s)"):format(i, native_type(value)), 2)
        end
        handle.write(tostring(value))
    end
    return self
end

-- Puts back one byte read too far: stdin keeps a buffer, files seek.
local function unread(handle, c)
    if handle.unread then handle.unread(c) elseif handle.seek then handle.seek("cur", -1) end
end

-- A number in Lua syntax at the current position; reads one byte too far and steps back.
local function read_number(handle)
    local text, c = "", handle.read(1)
    while c and c:match("%s") do c = handle.read(1) end
    while c and c:match("[%x%.%-%+xXeEpP]") and #text < 200 do
        text = text .. c
        c = handle.read(1)
    end
    if c then unread(handle, c) end
    return tonumber(text)
end

local function read_one(handle, format)
    if native_type(format) == "number" then
        if not handle.read then return nil end
        if format <= 0 then
            -- Zero bytes: "" unless at end of file.
            local probe = handle.read(1)
            if probe == nil then return nil end
            unread(handle, probe)
            return ""
        end
        return handle.read(math.floor(format))
    end
    format = format:gsub("^%*", ""):sub(1, 1)
    if format == "l" then return handle.readLine(false) end
    if format == "L" then return handle.readLine(true) end
    if format == "a" then return handle.readAll() or "" end
    if format == "n" then return read_number(handle) end
    error("bad argument #1 to 'read' (invalid format)", 3)
end

function Handle:read(...)
    local handle = check_handle(self, "read")
    if not handle.readLine then return nil, "file is not readable" end
    local n = select("#", ...)
    if n == 0 then return read_one(handle, "l") end
    local results = {}
    for i = 1, n do
        local format = select(i, ...)
        if native_type(format) ~= "string" and native_type(format) ~= "number" then
            error(("bad argument #%d to 'read' (string expected, got %s)"):format(i, native_type(format)), 2)
        end
        results[i] = read_one(handle, format)
        if results[i] == nil then return table.unpack(results, 1, i) end
    end
    return table.unpack(results, 1, n)
end

function Handle:lines(...)
    check_handle(self, "lines")
    local formats = table.pack(...)
    return function()
        if self._closed then error("file is already closed", 2) end
        if formats.n == 0 then return self:read("l") end
        return self:read(table.unpack(formats, 1, formats.n))
    end
end

---------------------------------------------------------------------------------------------
-- The standard streams.

-- Standard input is a byte stream over read()'s lines, so every read format works on it.
local stdin_buffer = ""
local function stdin_fill()
    if stdin_buffer ~= "" then return true end
    local line = _G.read()
    if line == nil then return false end
    stdin_buffer = line .. "\n"
    return true
end

local stdin_handle = {
    readLine = function(with_newline)
        if not stdin_fill() then return nil end
        local line, rest = stdin_buffer:match("^([^\n]*\n?)(.*)$")
        stdin_buffer = rest
        if not with_newline then line = line:gsub("\n$", "") end
        return line
    end,
    readAll = function()
        local parts = {}
        while stdin_fill() do
            parts[#parts + 1] = stdin_buffer
            stdin_buffer = ""
        end
        return table.concat(parts)
    end,
    read = function(count)
        count = count or 1
        local parts, got = {}, 0
        while got < count and stdin_fill() do
            local piece = stdin_buffer:sub(1, count - got)
            stdin_buffer = stdin_buffer:sub(#piece + 1)
            parts[#parts + 1] = piece
            got = got + #piece
        end
        if got == 0 then return nil end
        return table.concat(parts)
    end,
    -- Gives back the byte read_number read past the number (stdin cannot seek).
    unread = function(c) stdin_buffer = c .. stdin_buffer end,
    close = function() end,
}

local stdout_handle = {
    write = function(text) _G.write(text) end,
    flush = function() end,
    close = function() end,
}

-- Full lines go through printError; a trailing partial line is kept until it is completed.
local stderr_pending = ""
local stderr_handle = {
    write = function(text)
        stderr_pending = stderr_pending .. text
        for line in stderr_pending:gmatch("([^\n]*)\n") do printError(line) end
        stderr_pending = stderr_pending:match("[^\n]*$")
    end,
    flush = function()
        if stderr_pending ~= "" then printError(stderr_pending) end
        stderr_pending = ""
    end,
    close = function() end,
}

stdin = wrap(stdin_handle, true)
stdout = wrap(stdout_handle, true)
stderr = wrap(stderr_handle, true)

local current_input, current_output = stdin, stdout

---------------------------------------------------------------------------------------------
-- Functions of the io table.

function open(path, mode)
    expect(1, path, "string")
    expect(2, mode, "string", "nil")
    mode = mode or "r"
    if not mode:match("^[rwa]%+?b?$") then
        error("bad argument #2 to 'open' (invalid mode)", 2)
    end
    local handle, err = fs.open(path, mode)
    if not handle then return nil, err end
    return wrap(handle, false)
end

local function io_type(obj)
    if getmetatable(obj) ~= handle_meta then return nil end
    return obj._closed and "closed file" or "file"
end
_ENV.type = io_type

function close(file)
    if file == nil then return current_output:close() end
    return file:close()
end

-- io.input / io.output: query, set to a handle, or open a path and set that.
local function switch(value, mode, current, name)
    if value == nil then return current end
    if io_type(value) == "file" then return value end
    if native_type(value) ~= "string" then
        error(("bad argument #1 to '%s' (FILE* expected, got %s)"):format(name, native_type(value)), 3)
    end
    local file, err = open(value, mode)
    if not file then error(err, 3) end
    return file
end

function input(file)
    current_input = switch(file, "r", current_input, "input")
    return current_input
end

function output(file)
    current_output = switch(file, "w", current_output, "output")
    return current_output
end

function read(...) return current_input:read(...) end

function write(...) return current_output:write(...) end

--- Iterates over a file's lines, closing it at the end; without a path, over input.
function lines(path, ...)
    expect(1, path, "string", "nil")
    if path == nil then return current_input:lines(...) end
    local file, err = open(path, "r")
    if not file then error(err, 2) end
    local next_line = file:lines(...)
    return function()
        local value = next_line()
        if value == nil then file:close() end
        return value
    end
end
