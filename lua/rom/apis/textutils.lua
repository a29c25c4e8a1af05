--- Formatting and (de)serialisation helpers (CC's textutils API).
-- Written for redrund from the behaviour in cc-tweaked-behaviour.md §5 and CC's documentation;
-- CC's own textutils is not used.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

---------------------------------------------------------------------------------------------
-- Slow and paged output. Headless computers have nobody to press a key, so nothing pages.

--- Writes text a character at a time, `rate` characters per second (default 20).
function slowWrite(text, rate)
    expect(2, rate, "number", "nil")
    text = tostring(text)
    rate = rate or 20
    if rate < 0 then error("Rate must be positive", 2) end
    local delay = 1 / rate
    local x, y = term.getCursorPos()
    -- Each step rewrites the whole prefix from the start, so wrapping looks as it will at
    -- the end.
    for n = 1, #text do
        sleep(delay)
        term.setCursorPos(x, y)
        write(text:sub(1, n))
    end
end

function slowPrint(text, rate)
    slowWrite(text, rate)
    print()
end

--- Formats a time in hours (as os.time returns) as "H:MM AM/PM" or "H:MM".
function formatTime(time, twenty_four_hour)
    expect(1, time, "number")
    expect(2, twenty_four_hour, "boolean", "nil")
    local hour = math.floor(time)
    local minute = math.floor((time - hour) * 60)
    if twenty_four_hour then return ("%d:%02d"):format(hour, minute) end
    local suffix = hour >= 12 and "PM" or "AM"
    hour = hour % 12
    if hour == 0 then hour = 12 end
    return ("%d:%02d %s"):format(hour, minute, suffix)
end

function pagedPrint(text, free_lines)
    expect(2, free_lines, "number", "nil")
    return print(text)
end

-- Lays out rows of strings in equal columns; numbers among the arguments set the text
-- colour for the rows that follow.
local function tabulate_rows(...)
    local args = table.pack(...)
    for i = 1, args.n do expect(i, args[i], "number", "table") end
    local width = term.getSize()
    local column = width / 8
    for i = 1, args.n do
        if type(args[i]) == "table" then
            for k, item in pairs(args[i]) do
                if type(item) ~= "string" and type(item) ~= "number" then
                    error(("bad argument #%d.%s (string expected, got %s)"):format(i, tostring(k), type(item)), 3)
                end
                column = math.max(column, #tostring(item) + 1)
            end
        end
    end
    local per_line = math.max(1, math.floor(width / column))
    for i = 1, args.n do
        local arg = args[i]
        if type(arg) == "number" then
            term.setTextColour(arg)
        elseif #arg > 0 then
            for n, item in ipairs(arg) do
                local slot = (n - 1) % per_line
                if slot == 0 and n > 1 then print() end
                local _, y = term.getCursorPos()
                term.setCursorPos(1 + math.floor(slot * column), y)
                term.write(tostring(item))
            end
            print()
        end
    end
end

-- Not tail calls: argument errors are raised at the caller's level from inside.
function tabulate(...) tabulate_rows(...) end
function pagedTabulate(...) tabulate_rows(...) end

---------------------------------------------------------------------------------------------
-- Lua serialisation.

local keywords = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
    repeat return then true until while]]):gmatch("%a+") do keywords[word] = true end

-- Cobalt's 5.1-style %q: only quote, backslash, newline, carriage return and NUL are escaped.
local quote_escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\\n", ["\r"] = "\\r", ["\0"] = "\\000" }
local function quote(s)
    return '"' .. s:gsub('[\\"\n\r%z]', quote_escapes) .. '"'
end

local function number_text(n)
    if n ~= n then return "0/0" end
    if n == math.huge then return "1/0" end
    if n == -math.huge then return "-1/0" end
    return tostring(n)
end

-- `seen[t]` is "open" while t is being written and "done" afterwards (kept only when
-- repetitions are refused), which tells recursion from repetition.
local function check_table(t, seen, allow_repetitions)
    if seen[t] == "open" then error("Cannot serialize table with recursive entries", 0) end
    if seen[t] == "done" and not allow_repetitions then
        error("Cannot serialize table with repeated entries", 0)
    end
    seen[t] = "open"
end

local function finish_table(t, seen, allow_repetitions)
    seen[t] = not allow_repetitions and "done" or nil
end

local function serialize_value(value, seen, opts, indent)
    local kind = type(value)
    if kind == "string" then return quote(value) end
    if kind == "number" then return number_text(value) end
    if kind == "boolean" or kind == "nil" then return tostring(value) end
    if kind ~= "table" then error("Cannot serialize type " .. kind, 0) end
    check_table(value, seen, opts.allow_repetitions)
    if next(value) == nil then
        finish_table(value, seen, opts.allow_repetitions)
        return "{}"
    end

    local inner = opts.compact and "" or indent .. "  "
    local entry_end = opts.compact and "," or ",\n"
    local equals = opts.compact and "=" or " = "
    local out = { opts.compact and "{" or "{\n" }

    local length = 0
    while rawget(value, length + 1) ~= nil do
        length = length + 1
        out[#out + 1] = inner .. serialize_value(rawget(value, length), seen, opts, inner) .. entry_end
    end
    local k, v = next(value)
    while k ~= nil do
        local in_array = math.type(k) == "integer" and k >= 1 and k <= length
        if not in_array then
            local key
            if type(k) == "string" and not keywords[k] and k:match("^[%a_][%a%d_]*$") then
                key = k
            elseif opts.compact then
                key = "[" .. serialize_value(k, seen, opts, inner) .. "]"
            else
                key = "[ " .. serialize_value(k, seen, opts, inner) .. " ]"
            end
            out[#out + 1] = inner .. key .. equals .. serialize_value(v, seen, opts, inner) .. entry_end
        end
        k, v = next(value, k)
    end
    out[#out + 1] = (opts.compact and "" or indent) .. "}"
    finish_table(value, seen, opts.allow_repetitions)
    return table.concat(out)
end

local function read_options(opts, names)
    local result = {}
    if opts then
        for _, name in ipairs(names) do
            if opts[name] ~= nil and type(opts[name]) ~= "boolean" then
                error(("bad field '%s' (boolean expected, got %s)"):format(name, type(opts[name])), 3)
            end
            result[name] = opts[name]
        end
    end
    return result
end

function serialize(t, opts)
    expect(2, opts, "table", "nil")
    return serialize_value(t, {}, read_options(opts, { "compact", "allow_repetitions" }), "")
end
serialise = serialize

function unserialize(s)
    expect(1, s, "string")
    local fn = load("return " .. s, "unserialize", "t", {})
    if not fn then return nil end
    local ok, result = pcall(fn)
    if ok then return result end
    return nil
end
unserialise = unserialize

---------------------------------------------------------------------------------------------
-- JSON.

-- Sentinels for values Lua tables cannot hold: `[]` (distinct from `{}`) and JSON null.
local function sentinel(name)
    return setmetatable({}, {
        __name = "textutils." .. name,
        __tostring = function() return name end,
        __newindex = function() error("attempt to mutate textutils." .. name, 2) end,
    })
end
empty_json_array = sentinel("empty_json_array")
json_null = sentinel("json_null")

local json_escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
    ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_code_unit(c) return ("\\u%04X"):format(c) end

local function json_string(s, opts)
    if not opts.unicode_strings then
        -- Bytes are Latin-1 characters: controls and everything from 0x7F up are escaped.
        return '"' .. s:gsub('[%c"\\\127-\255]', function(c)
            return json_escapes[c] or json_code_unit(c:byte())
        end) .. '"'
    end
    local out = {}
    for _, code in utf8.codes(s) do
        local c = code < 128 and string.char(code)
        if c and json_escapes[c] then
            out[#out + 1] = json_escapes[c]
        elseif code >= 0x20 and code < 0x7F then
            out[#out + 1] = c
        elseif code <= 0xFFFF then
            out[#out + 1] = json_code_unit(code)
        else
            code = code - 0x10000
            out[#out + 1] = json_code_unit(0xD800 + (code >> 10)) .. json_code_unit(0xDC00 + (code & 0x3FF))
        end
    end
    return '"' .. table.concat(out) .. '"'
end

local function json_value(value, seen, opts)
    local kind = type(value)
    if value == json_null then return "null" end
    if value == empty_json_array then return "[]" end
    if kind == "string" then return json_string(value, opts) end
    if kind == "number" or kind == "boolean" then return tostring(value) end
    if kind ~= "table" then error("Cannot serialize type " .. kind, 0) end

    check_table(value, seen, opts.allow_repetitions)
    local object, largest = {}, 0
    for k, v in pairs(value) do
        if type(k) == "string" then
            local key = opts.nbt_style and k or json_string(k, opts)
            object[#object + 1] = key .. ":" .. json_value(v, seen, opts)
        elseif type(k) == "number" and k > largest then
            largest = k
        end
    end
    local result
    if #object > 0 or largest < 1 then
        result = "{" .. table.concat(object, ",") .. "}"
    else
        local array = {}
        for i = 1, largest do
            local v = value[i]
            array[i] = v == nil and "null" or json_value(v, seen, opts)
        end
        result = "[" .. table.concat(array, ",") .. "]"
    end
    finish_table(value, seen, opts.allow_repetitions)
    return result
end

function serializeJSON(t, opts)
    expect(1, t, "table", "string", "number", "boolean")
    expect(2, opts, "table", "boolean", "nil")
    if type(opts) == "boolean" then opts = { nbt_style = opts } end
    opts = read_options(opts, { "nbt_style", "unicode_strings", "allow_repetitions" })
    return json_value(t, {}, opts)
end
serialiseJSON = serializeJSON

-- The JSON reader. Failures throw a table { pos, message } that unserializeJSON turns into
-- nil, "Malformed JSON at position N: message".
local Reader = {}
Reader.__index = Reader

function Reader:fail(message, pos)
    error({ pos = pos or self.pos, message = message }, 0)
end

function Reader:skip_space()
    self.pos = self.text:find("[^ \t\r\n]", self.pos) or #self.text + 1
end

function Reader:peek() return self.text:sub(self.pos, self.pos) end

function Reader:unexpected()
    local c = self:peek()
    if c == "" then self:fail("Unexpected end of input") end
    self:fail(("Unexpected character %q"):format(c))
end

function Reader:expect_char(c)
    self:skip_space()
    if self:peek() ~= c then self:unexpected() end
    self.pos = self.pos + 1
end

local string_escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

function Reader:string()
    self.pos = self.pos + 1 -- opening quote
    local out = {}
    while true do
        local stop = self.text:find('["\\]', self.pos)
        if not stop then self.pos = #self.text + 1; self:fail("Unexpected end of input") end
        out[#out + 1] = self.text:sub(self.pos, stop - 1)
        self.pos = stop + 1
        if self.text:sub(stop, stop) == '"' then return table.concat(out) end
        local e = self:peek()
        if e == "u" then
            local hex = self.text:match("^%x%x%x%x", self.pos + 1)
            if not hex then self:fail("Malformed \\u escape") end
            out[#out + 1] = utf8.char(tonumber(hex, 16))
            self.pos = self.pos + 5
        elseif string_escapes[e] then
            out[#out + 1] = string_escapes[e]
            self.pos = self.pos + 1
        else
            self:unexpected()
        end
    end
end

function Reader:number()
    local text = self.text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", self.pos)
        or self.text:match("^-?%.%d+[eE]?[-+]?%d*", self.pos)
    local value = text and tonumber(text)
    if not value then self:unexpected() end
    self.pos = self.pos + #text
    -- NBT numbers may carry a type suffix (1b, 2s, 3L, 1.5f, 2d).
    if self.nbt_style and self:peek():match("^[bBsSlLfFdD]$") then self.pos = self.pos + 1 end
    return value
end

function Reader:key()
    self:skip_space()
    local c = self:peek()
    if c == '"' then return self:string() end
    if self.nbt_style then
        local word = self.text:match("^[%w_%-%.%+]+", self.pos)
        if word then self.pos = self.pos + #word; return word end
    end
    self:unexpected()
end

function Reader:object()
    self.pos = self.pos + 1
    local result = {}
    self:skip_space()
    if self:peek() == "}" then self.pos = self.pos + 1; return result end
    while true do
        local key = self:key()
        self:expect_char(":")
        result[key] = self:value()
        self:skip_space()
        local c = self:peek()
        self.pos = self.pos + 1
        if c == "}" then return result end
        if c ~= "," then self.pos = self.pos - 1; self:unexpected() end
    end
end

function Reader:array()
    self.pos = self.pos + 1
    -- NBT typed arrays: [B; ...], [I; ...], [L; ...].
    if self.nbt_style then
        local prefix = self.text:match("^%s*[BIL]%s*;", self.pos)
        if prefix then self.pos = self.pos + #prefix end
    end
    self:skip_space()
    if self:peek() == "]" then
        self.pos = self.pos + 1
        if self.parse_empty_array then return empty_json_array end
        return {}
    end
    local result, n = {}, 0
    while true do
        n = n + 1
        result[n] = self:value()
        self:skip_space()
        local c = self:peek()
        self.pos = self.pos + 1
        if c == "]" then return result end
        if c ~= "," then self.pos = self.pos - 1; self:unexpected() end
    end
end

local literals = { ["true"] = true, ["false"] = false }

function Reader:value()
    self:skip_space()
    local c = self:peek()
    if c == "{" then return self:object() end
    if c == "[" then return self:array() end
    if c == '"' then return self:string() end
    if c == "-" or c:match("^%d$") then return self:number() end
    local word = self.text:match("^%a+", self.pos)
    if word == "true" or word == "false" then
        self.pos = self.pos + #word
        return literals[word]
    elseif word == "null" then
        self.pos = self.pos + 4
        if self.parse_null then return json_null end
        return nil
    end
    self:unexpected()
end

function unserializeJSON(s, opts)
    expect(1, s, "string")
    expect(2, opts, "table", "nil")
    opts = read_options(opts, { "nbt_style", "parse_null", "parse_empty_array" })
    local reader = setmetatable({
        text = s, pos = 1, nbt_style = opts.nbt_style, parse_null = opts.parse_null,
        parse_empty_array = opts.parse_empty_array ~= false,
    }, Reader)
    local ok, result = pcall(function()
        local value = reader:value()
        reader:skip_space()
        if reader.pos <= #s then reader:unexpected() end
        return value
    end)
    if ok then return result end
    if type(result) ~= "table" then error(result, 0) end
    return nil, ("Malformed JSON at position %d: %s"):format(result.pos, result.message)
end
unserialiseJSON = unserializeJSON

---------------------------------------------------------------------------------------------
-- URLs and completion.

--- Percent-encodes a string for a URL query. Bytes are read as Latin-1 characters, so
-- bytes from 0x80 up are sent as their two-byte UTF-8 form; spaces become "+".
function urlEncode(str)
    expect(1, str, "string")
    str = str:gsub("\n", "\r\n")
    str = str:gsub("[^%w %-_%.]", function(c)
        local code = c:byte()
        local bytes = code < 128 and c or utf8.char(code)
        return (bytes:gsub(".", function(b) return ("%%%02X"):format(b:byte()) end))
    end)
    return (str:gsub(" ", "+"))
end

--- Completions of a Lua expression prefix such as "te", "textutils.ser" or "s:fo", as the
-- suffixes to add, sorted.
function complete(search, env)
    expect(1, search, "string")
    expect(2, env, "table", "nil")
    env = env or _G
    local tbl, start, colon = env, 1, false
    while true do
        local sep = search:find("[%.:]", start)
        if not sep then break end
        local part = search:sub(start, sep - 1)
        if colon or not part:match("^[%a_][%a%d_]*$") then return {} end
        local value = tbl[part]
        if type(value) ~= "table" then return {} end
        tbl, start, colon = value, sep + 1, search:sub(sep, sep) == ":"
    end
    local prefix = search:sub(start)
    local results, found = {}, {}

    local function add(key, value)
        if type(key) ~= "string" or found[key] or key:sub(1, #prefix) ~= prefix then return end
        if not key:match("^[%a_][%a%d_]*$") or keywords[key] then return end
        local suffix = key:sub(#prefix + 1)
        if type(value) == "function" then
            suffix = suffix .. "("
        elseif colon then
            return
        elseif type(value) == "table" and next(value) ~= nil then
            suffix = suffix .. "."
        end
        if suffix ~= "" then
            found[key] = true
            results[#results + 1] = suffix
        end
    end

    -- Walk __index chains too, so globals show up through an environment's metatable.
    local seen, current = {}, tbl
    while type(current) == "table" and not seen[current] do
        seen[current] = true
        for k, v in pairs(current) do add(k, v) end
        local mt = getmetatable(current)
        current = type(mt) == "table" and rawget(mt, "__index") or nil
    end
    if start == 1 then
        for word in pairs(keywords) do
            if word:sub(1, #prefix) == prefix and #word > #prefix then
                results[#results + 1] = word:sub(#prefix + 1)
            end
        end
    end
    table.sort(results)
    return results
end
