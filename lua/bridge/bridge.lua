--[[ bridge: joins an in-game ComputerCraft modem network to a redrund world.

    bridge ws://HOST:PORT [--token T] [--label L] [--x X --y Y --z Z]
           [--side SIDE] [--modem wireless|ender] [--no-gps] [--refresh SECONDS]

Connects to `redrund serve` with http.websocket, attaches as a simulated computer at this
computer's position (creating it the first time, under the label), and relays modem traffic
both ways, so in-game computers and simulated ones share one rednet network. Reconnects with
backoff when the daemon goes away; stops cleanly on terminate (Ctrl+T).

One self-contained file using only CC's standard APIs: it carries its own JSON codec for
redrund's lossless Lua values (proto/lua-values.md). Documentation: lua/bridge/README.md.
`bridge --module` returns the codec and helpers instead of running (for tests). ]]

local args = { ... }

local CHANNEL_REPEAT, CHANNEL_GPS, CHANNEL_BROADCAST = 65533, 65534, 65535
local OPEN_CHANNELS_MAX = 128       -- a CC modem's limit
local PENDING_CALLS_MAX = 256       -- requests the daemon has not answered yet
local BACKOFF_MAX_SECONDS = 30

local floor = math.floor
local unpack = table.unpack or unpack

---------------------------------------------------------------------------------------------
-- JSON for Lua values, as proto/lua-values.md specifies. Output is ASCII only (non-ASCII text
-- is \u-escaped), because CC sends websocket text byte by byte as UTF-8.

local codec = {}

local NULL = {} -- JSON null inside a parsed document

local LEAD_MODULUS = { 32, 16, 8 }  -- payload bits of a 2-, 3- and 4-byte sequence's lead byte

-- Whether `s` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
function codec.utf8_valid(s)
    if not s:find("[\128-\255]") then return true end
    local i, n = 1, #s
    while i <= n do
        local c = s:byte(i)
        if c < 0x80 then
            i = i + 1
        else
            local len, min
            if c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
            elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
            elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
            else return false end
            if i + len - 1 > n then return false end
            local cp = c % LEAD_MODULUS[len - 1]
            for j = 1, len - 1 do
                local b = s:byte(i + j)
                if b < 0x80 or b > 0xBF then return false end
                cp = cp * 64 + (b - 0x80)
            end
            if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
            i = i + len
        end
    end
    return true
end

local function utf8_char(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then return string.char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
    if cp < 0x10000 then
        return string.char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    return string.char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64, 0x80 + floor(cp / 64) % 64,
        0x80 + cp % 64)
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64_VALUE = {}
for i = 1, 64 do B64_VALUE[B64:byte(i)] = i - 1 end

function codec.base64_encode(s)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local d1, d2, d3, d4 = floor(n / 262144), floor(n / 4096) % 64, floor(n / 64) % 64, n % 64
        out[#out + 1] = B64:sub(d1 + 1, d1 + 1) .. B64:sub(d2 + 1, d2 + 1)
            .. (b and B64:sub(d3 + 1, d3 + 1) or "=") .. (c and B64:sub(d4 + 1, d4 + 1) or "=")
    end
    return table.concat(out)
end

-- Padded RFC 4648 base64; nil when malformed.
function codec.base64_decode(s)
    if #s % 4 ~= 0 then return nil end
    local out = {}
    for i = 1, #s, 4 do
        local pad = (s:sub(i + 2, i + 2) == "=" and 1 or 0) + (s:sub(i + 3, i + 3) == "=" and 1 or 0)
        if pad > 0 and i + 3 ~= #s then return nil end
        if pad == 1 and s:sub(i + 2, i + 2) == "=" then return nil end
        local n = 0
        for j = 0, 3 - pad do
            local v = B64_VALUE[s:byte(i + j)]
            if not v then return nil end
            n = n * 64 + v
        end
        n = n * 64 ^ pad
        local bytes = { floor(n / 65536) % 256, floor(n / 256) % 256, n % 256 }
        out[#out + 1] = string.char(unpack(bytes, 1, 3 - pad))
    end
    return table.concat(out)
end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
    ["\r"] = "\\r", ["\t"] = "\\t" }

local function hex4(n) return ("\\u%04x"):format(n) end

-- A JSON string for valid UTF-8 text, ASCII only.
local function quote(s)
    local parts, i, n = { '"' }, 1, #s
    while i <= n do
        local j = s:find('[%c"\\\128-\255]', i)
        if not j then
            parts[#parts + 1] = s:sub(i)
            break
        end
        if j > i then parts[#parts + 1] = s:sub(i, j - 1) end
        local c = s:byte(j)
        if c < 0x80 then
            parts[#parts + 1] = ESCAPES[string.char(c)] or hex4(c)
            i = j + 1
        else
            local len = c >= 0xF0 and 4 or c >= 0xE0 and 3 or 2
            local cp = c % LEAD_MODULUS[len - 1]
            for k = 1, len - 1 do cp = cp * 64 + s:byte(j + k) - 0x80 end
            if cp >= 0x10000 then
                local v = cp - 0x10000
                parts[#parts + 1] = hex4(0xD800 + floor(v / 1024)) .. hex4(0xDC00 + v % 1024)
            else
                parts[#parts + 1] = hex4(cp)
            end
            i = j + len
        end
    end
    parts[#parts + 1] = '"'
    return table.concat(parts)
end

local INT_LIMIT = 9223372036854775808 -- 2^63

local function number_text(v)
    if v ~= v then return '{"$number":"nan"}' end
    if v == math.huge then return '{"$number":"inf"}' end
    if v == -math.huge then return '{"$number":"-inf"}' end
    if v == 0 then return 1 / v < 0 and "-0.0" or "0" end
    if v == floor(v) and v >= -INT_LIMIT and v < INT_LIMIT then return ("%d"):format(v) end
    for digits = 1, 17 do
        local text = ("%." .. digits .. "g"):format(v)
        if tonumber(text) == v then return text end
    end
    return ("%.17g"):format(v)
end

local ENCODABLE = { ["nil"] = true, boolean = true, number = true, string = true, table = true }

-- Numbers ascending, then strings bytewise, then false, true, then tables.
local function key_class(k)
    local t = type(k)
    if t == "number" then return 1 elseif t == "string" then return 2
    elseif k == false then return 3 elseif k == true then return 4 end
    return 5
end

local function sorted_entries(t)
    local entries = {}
    for k, v in pairs(t) do
        -- Functions, coroutines and userdata do not survive CC's marshalling: left out.
        if ENCODABLE[type(k)] and ENCODABLE[type(v)] then entries[#entries + 1] = { k, v } end
    end
    table.sort(entries, function(a, b)
        local ca, cb = key_class(a[1]), key_class(b[1])
        if ca ~= cb then return ca < cb end
        if ca <= 2 then return a[1] < b[1] end
        return false
    end)
    return entries
end

local function is_sequence(entries)
    for i = 1, #entries do
        if entries[i][1] ~= i then return false end
    end
    return true
end

local function is_object(entries)
    for i = 1, #entries do
        local k = entries[i][1]
        if type(k) ~= "string" or k:sub(1, 1) == "$" or not codec.utf8_valid(k) then return false end
    end
    return true
end

-- How often each table is reached in the document (more than once: shared or cyclic).
local function count_references(v, counts)
    if type(v) ~= "table" then return end
    if counts[v] then
        counts[v] = counts[v] + 1
        return
    end
    counts[v] = 1
    for k, x in pairs(v) do
        count_references(k, counts)
        count_references(x, counts)
    end
end

local emit

local function emit_pairs(entries, state, out)
    out[#out + 1] = "["
    for i = 1, #entries do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = "["
        emit(entries[i][1], state, out)
        out[#out + 1] = ","
        emit(entries[i][2], state, out)
        out[#out + 1] = "]"
    end
    out[#out + 1] = "]"
end

local function emit_table(t, state, out)
    if state.ids[t] then
        out[#out + 1] = '{"$ref":' .. ("%d"):format(state.ids[t]) .. "}"
        return
    end
    local entries = sorted_entries(t)
    if state.counts[t] > 1 then
        state.next_id = state.next_id + 1
        state.ids[t] = state.next_id
        out[#out + 1] = '{"$id":' .. ("%d"):format(state.next_id) .. ',"$table":'
        emit_pairs(entries, state, out)
        out[#out + 1] = "}"
    elseif #entries == 0 then
        out[#out + 1] = "{}"
    elseif is_sequence(entries) then
        out[#out + 1] = "["
        for i = 1, #entries do
            if i > 1 then out[#out + 1] = "," end
            emit(entries[i][2], state, out)
        end
        out[#out + 1] = "]"
    elseif is_object(entries) then
        out[#out + 1] = "{"
        for i = 1, #entries do
            if i > 1 then out[#out + 1] = "," end
            out[#out + 1] = quote(entries[i][1]) .. ":"
            emit(entries[i][2], state, out)
        end
        out[#out + 1] = "}"
    else
        out[#out + 1] = '{"$table":'
        emit_pairs(entries, state, out)
        out[#out + 1] = "}"
    end
end

emit = function(v, state, out)
    local t = type(v)
    if t == "boolean" then
        out[#out + 1] = v and "true" or "false"
    elseif t == "number" then
        out[#out + 1] = number_text(v)
    elseif t == "string" then
        out[#out + 1] = codec.utf8_valid(v) and quote(v) or ('{"$bytes":"' .. codec.base64_encode(v) .. '"}')
    elseif t == "table" then
        emit_table(v, state, out)
    else
        out[#out + 1] = "null"
    end
end

--- One Lua value as a JSON document.
function codec.encode(value)
    local state = { counts = {}, ids = {}, next_id = 0 }
    count_references(value, state.counts)
    local out = {}
    emit(value, state, out)
    return table.concat(out)
end

-- Parsing JSON text into a tree: arrays { tag = "array", n = , items = }, objects
-- { tag = "object", keys = { in order }, values = { key = node } }, null as NULL.

local DEPTH_MAX = 512
local parse_value

local function parse_error(i, message) error(("json: %s at byte %d"):format(message, i), 0) end

local function skip_space(s, i) return s:find("[^ \t\r\n]", i) or #s + 1 end

local UNESCAPE = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function hex_at(s, i)
    local digits = s:sub(i, i + 3)
    if not digits:find("^%x%x%x%x$") then parse_error(i, "bad \\u escape") end
    return tonumber(digits, 16)
end

local function parse_string(s, i)
    local parts, j = {}, i + 1
    while true do
        local k = s:find('["\\%c]', j)
        if not k then parse_error(i, "unterminated string") end
        parts[#parts + 1] = s:sub(j, k - 1)
        local c = s:sub(k, k)
        if c == '"' then return table.concat(parts), k + 1 end
        if c ~= "\\" then parse_error(k, "control character in string") end
        local e = s:sub(k + 1, k + 1)
        if e == "u" then
            local cp = hex_at(s, k + 2)
            j = k + 6
            if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
                local low = hex_at(s, j + 2)
                if low >= 0xDC00 and low <= 0xDFFF then
                    cp = 0x10000 + (cp - 0xD800) * 1024 + (low - 0xDC00)
                    j = j + 6
                end
            end
            parts[#parts + 1] = utf8_char(cp)
        elseif UNESCAPE[e] then
            parts[#parts + 1] = UNESCAPE[e]
            j = k + 2
        else
            parse_error(k, "bad escape")
        end
    end
end

local function parse_number(s, i)
    local text = s:match("^-?%d+", i)
    if not text or text:find("^-?0%d") then parse_error(i, "bad number") end
    local j = i + #text
    local fraction = s:match("^%.%d+", j)
    if fraction then j = j + #fraction end
    local exponent = s:match("^[eE][-+]?%d+", j)
    if exponent then j = j + #exponent end
    return tonumber(s:sub(i, j - 1)), j
end

local function parse_array(s, i, depth)
    local node, n = { tag = "array", items = {} }, 0
    i = skip_space(s, i + 1)
    if s:sub(i, i) == "]" then
        node.n = 0
        return node, i + 1
    end
    while true do
        local item
        item, i = parse_value(s, i, depth + 1)
        n = n + 1
        node.items[n] = item
        i = skip_space(s, i)
        local c = s:sub(i, i)
        if c == "]" then
            node.n = n
            return node, i + 1
        end
        if c ~= "," then parse_error(i, "expected , or ]") end
        i = skip_space(s, i + 1)
    end
end

local function parse_object(s, i, depth)
    local node = { tag = "object", keys = {}, values = {} }
    i = skip_space(s, i + 1)
    if s:sub(i, i) == "}" then return node, i + 1 end
    while true do
        if s:sub(i, i) ~= '"' then parse_error(i, "expected a member name") end
        local key
        key, i = parse_string(s, i)
        i = skip_space(s, i)
        if s:sub(i, i) ~= ":" then parse_error(i, "expected :") end
        local value
        value, i = parse_value(s, skip_space(s, i + 1), depth + 1)
        if node.values[key] == nil then node.keys[#node.keys + 1] = key end
        node.values[key] = value
        i = skip_space(s, i)
        local c = s:sub(i, i)
        if c == "}" then return node, i + 1 end
        if c ~= "," then parse_error(i, "expected , or }") end
        i = skip_space(s, i + 1)
    end
end

local LITERALS = { t = { "true", true }, f = { "false", false }, n = { "null", NULL } }

parse_value = function(s, i, depth)
    if depth > DEPTH_MAX then parse_error(i, "nested too deeply") end
    local c = s:sub(i, i)
    if c == "{" then return parse_object(s, i, depth) end
    if c == "[" then return parse_array(s, i, depth) end
    if c == '"' then return parse_string(s, i) end
    local literal = LITERALS[c]
    if literal then
        if s:sub(i, i + #literal[1] - 1) ~= literal[1] then parse_error(i, "bad literal") end
        return literal[2], i + #literal[1]
    end
    if c == "-" or c:find("%d") then return parse_number(s, i) end
    parse_error(i, c == "" and "unexpected end" or "unexpected character")
end

-- Tree to Lua values. Every table with an $id is created first, so a $ref may come before
-- its $id and cycles close naturally.

local function is_special(node)
    for _, key in ipairs(node.keys) do
        if key:sub(1, 1) == "$" then return true end
    end
    return false
end

local function whole_number(node, what)
    if type(node) ~= "number" or node ~= floor(node) then error("json: " .. what .. " must be an integer", 0) end
    return node
end

local function collect_ids(node, tables)
    if type(node) ~= "table" or node == NULL then return end
    if node.tag == "array" then
        for i = 1, node.n do collect_ids(node.items[i], tables) end
        return
    end
    local id = node.values["$id"]
    if id ~= nil then
        id = whole_number(id, "$id")
        if tables[id] then error("json: two $id " .. id, 0) end
        tables[id] = {}
    end
    for _, key in ipairs(node.keys) do collect_ids(node.values[key], tables) end
end

local to_lua

local SPECIAL_NUMBERS = { nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge }

local function fill_table(t, pairs_node, tables)
    if type(pairs_node) ~= "table" or pairs_node.tag ~= "array" then error("json: $table must be an array", 0) end
    for i = 1, pairs_node.n do
        local pair = pairs_node.items[i]
        if type(pair) ~= "table" or pair.tag ~= "array" or pair.n ~= 2 then
            error("json: $table entries are [key, value] pairs", 0)
        end
        local k, v = to_lua(pair.items[1], tables), to_lua(pair.items[2], tables)
        if k == nil then error("json: table key is nil", 0) end
        if k ~= k then error("json: table key is NaN", 0) end
        if rawget(t, k) ~= nil then error("json: the same key twice in a $table", 0) end
        if v ~= nil then t[k] = v end
    end
    return t
end

local function special_to_lua(node, tables)
    local v, count = node.values, #node.keys
    if count == 1 and v["$number"] ~= nil then
        local n = SPECIAL_NUMBERS[v["$number"]]
        if n == nil then error("json: $number must be nan, inf or -inf", 0) end
        return n
    elseif count == 1 and v["$bytes"] ~= nil then
        local bytes = type(v["$bytes"]) == "string" and codec.base64_decode(v["$bytes"])
        if not bytes then error("json: $bytes is not base64", 0) end
        return bytes
    elseif count == 1 and v["$ref"] ~= nil then
        local t = tables[whole_number(v["$ref"], "$ref")]
        if not t then error("json: $ref " .. v["$ref"] .. " has no $id", 0) end
        return t
    elseif v["$table"] ~= nil and (count == 1 or (count == 2 and v["$id"] ~= nil)) then
        local t = v["$id"] ~= nil and tables[v["$id"]] or {}
        return fill_table(t, v["$table"], tables)
    end
    error("json: unknown $ form", 0)
end

to_lua = function(node, tables)
    if node == NULL then return nil end
    if type(node) ~= "table" then return node end
    local out = {}
    if node.tag == "array" then
        for i = 1, node.n do out[i] = to_lua(node.items[i], tables) end
        return out
    end
    if is_special(node) then return special_to_lua(node, tables) end
    for _, key in ipairs(node.keys) do out[key] = to_lua(node.values[key], tables) end
    return out
end

--- A JSON document as a Lua value (one id space for the whole document). Raises "json: ...".
function codec.decode(text)
    local node, i = parse_value(text, skip_space(text, 1), 0)
    if skip_space(text, i) <= #text then parse_error(i, "trailing characters") end
    local tables = {}
    collect_ids(node, tables)
    return to_lua(node, tables)
end

---------------------------------------------------------------------------------------------
-- Channels: which channels the bridge listens on, on each side, within a modem's 128.

-- A set of open channels: fixed ones, plus learned ones that are forgotten least recently
-- used first when the budget is spent. `open`/`close` act on the modem.
local function channel_set(budget, open, close)
    local set = { fixed = {}, learned = {}, clock = 0, budget = budget }

    function set.count()
        local n = 0
        for _ in pairs(set.fixed) do n = n + 1 end
        for _ in pairs(set.learned) do n = n + 1 end
        return n
    end

    function set.has(channel) return set.fixed[channel] ~= nil or set.learned[channel] ~= nil end

    function set.fix(channel)
        if set.fixed[channel] then return end
        set.learned[channel] = nil
        set.fixed[channel] = true
        open(channel)
    end

    -- Opens (or refreshes) a learned channel; returns the channel it had to close, if any.
    function set.learn(channel)
        set.clock = set.clock + 1
        if set.fixed[channel] then return end
        if set.learned[channel] then
            set.learned[channel] = set.clock
            return
        end
        local evicted
        if set.count() >= set.budget then
            local oldest
            for c, used in pairs(set.learned) do
                if not oldest or used < set.learned[oldest] then oldest = c end
            end
            if not oldest then return end -- only fixed channels: nothing can be learned
            set.learned[oldest] = nil
            close(oldest)
            evicted = oldest
        end
        set.learned[channel] = set.clock
        open(channel)
        return evicted
    end

    function set.forget(channel)
        if set.learned[channel] then
            set.learned[channel] = nil
            close(channel)
        end
    end

    function set.close_all()
        for c in pairs(set.fixed) do close(c) end
        for c in pairs(set.learned) do close(c) end
        set.fixed, set.learned = {}, {}
    end

    return set
end

local module = { codec = codec, channel_set = channel_set }
if args[1] == "--module" and #args == 1 then return module end

---------------------------------------------------------------------------------------------
-- Command line.

-- Lines fit a CC terminal (51 columns).
local USAGE = "Usage: bridge ws://HOST:PORT [--token T]\n"
    .. "  [--label L] [--x X --y Y --z Z] [--side SIDE]\n"
    .. "  [--modem wireless|ender] [--no-gps] [--refresh S]"

local function parse_arguments(argv)
    local options = { gps = true, refresh = 10, modem = "wireless" }
    local i = 1
    local function value(name)
        i = i + 1
        if argv[i] == nil then error(name .. " needs a value", 0) end
        return argv[i]
    end
    local function number(name)
        local n = tonumber(value(name))
        if not n then error(name .. " needs a number", 0) end
        return n
    end
    while i <= #argv do
        local a = argv[i]
        if a == "--token" then options.token = value(a)
        elseif a == "--label" then options.label = value(a)
        elseif a == "--x" then options.x = number(a)
        elseif a == "--y" then options.y = number(a)
        elseif a == "--z" then options.z = number(a)
        elseif a == "--side" then options.side = value(a)
        elseif a == "--modem" then options.modem = value(a)
        elseif a == "--refresh" then options.refresh = number(a)
        elseif a == "--no-gps" then options.gps = false
        elseif a:sub(1, 2) == "--" then error("unknown option " .. a, 0)
        elseif options.url then error("unexpected argument " .. a, 0)
        else options.url = a end
        i = i + 1
    end
    if not options.url then error("the daemon's ws:// address is missing", 0) end
    local given = (options.x and 1 or 0) + (options.y and 1 or 0) + (options.z and 1 or 0)
    if given ~= 0 and given ~= 3 then error("give all of --x --y --z, or none", 0) end
    if options.modem ~= "wireless" and options.modem ~= "ender" then error("--modem is wireless or ender", 0) end
    if options.refresh <= 0 then error("--refresh must be positive", 0) end
    return options
end

local function find_modem(side)
    if side then
        if peripheral.getType(side) ~= "modem" then error("no modem on side " .. side, 0) end
        return side
    end
    local wired
    for _, name in ipairs(peripheral.getNames()) do
        if peripheral.getType(name) == "modem" then
            if peripheral.call(name, "isWireless") then return name end
            wired = wired or name
        end
    end
    if wired then return wired end
    error("no modem attached: place a (wireless or ender) modem next to this computer", 0)
end

local function find_position(options)
    if options.x then return { options.x, options.y, options.z } end
    local x, y, z = gps.locate(2)
    if not x then error("position unknown: give --x --y --z, or set up GPS", 0) end
    return { x, y, z }
end

---------------------------------------------------------------------------------------------
-- One connection to the daemon: JSON-RPC over the websocket.

local function connection(ws, url)
    local rpc = { next_id = 0, pending = {}, pending_count = 0, dropped = 0 }

    -- Sends a request; `on_reply(result, error)` is called when the answer comes.
    function rpc.call(method, params, on_reply)
        if rpc.pending_count >= PENDING_CALLS_MAX then
            rpc.dropped = rpc.dropped + 1
            return false
        end
        rpc.next_id = rpc.next_id + 1
        rpc.pending[rpc.next_id] = on_reply or false
        rpc.pending_count = rpc.pending_count + 1
        ws.send(codec.encode({ jsonrpc = "2.0", id = rpc.next_id, method = method, params = params }))
        return true
    end

    -- Handles one message from the daemon; returns a notification for the caller, if any.
    function rpc.handle(text)
        local ok, message = pcall(codec.decode, text)
        if not ok or type(message) ~= "table" then return nil end
        if message.id ~= nil and rpc.pending[message.id] ~= nil then
            local on_reply = rpc.pending[message.id]
            rpc.pending[message.id] = nil
            rpc.pending_count = rpc.pending_count - 1
            if on_reply then on_reply(message.result, message.error) end
            return nil
        end
        if message.method then return message end
    end

    -- Calls and waits for the answer (while connecting: other events are not needed yet).
    function rpc.call_and_wait(method, params)
        local done, result, failure = false, nil, nil
        rpc.call(method, params, function(r, e) done, result, failure = true, r, e end)
        while not done do
            local event, event_url, text = os.pullEvent()
            if event == "websocket_message" and event_url == url then
                rpc.handle(text)
            elseif event == "websocket_closed" and event_url == url then
                return nil, { message = "connection closed" }
            end
        end
        return result, failure
    end

    return rpc
end

---------------------------------------------------------------------------------------------
-- The bridge.

local function log(text) print("bridge: " .. text) end

-- Attaches to the simulated computer labelled options.label, creating it the first time.
local function attach(rpc, options, position)
    local params = { token = options.token, events = { "modem_message" }, label = options.label }
    local result, failure = rpc.call_and_wait("computer.attach", params)
    if failure and failure.code == -32003 then
        params.label = nil
        params.create = { label = options.label, position = position,
            modems = { { side = "top", type = options.modem } } }
        result, failure = rpc.call_and_wait("computer.attach", params)
    end
    if failure then return nil, "attach failed: " .. tostring(failure.message) end
    local at = result.position
    if type(at) == "table" and (at[1] ~= position[1] or at[2] ~= position[2] or at[3] ~= position[3]) then
        log(("warning: %s is at %s,%s,%s in the daemon's world, not here"):format(options.label,
            tostring(at[1]), tostring(at[2]), tostring(at[3])))
    end
    return result.id
end

-- The simulated computers' ids are opened in game, so messages sent to them get relayed.
local function refresh_ids(rpc, sim_id, in_game)
    rpc.call("world.list", {}, function(result)
        if type(result) ~= "table" or type(result.computers) ~= "table" then return end
        for _, c in ipairs(result.computers) do
            if c.id ~= sim_id and c.id <= 65535 and type(c.modems) == "table" and #c.modems > 0 then
                in_game.learn(c.id)
            end
        end
    end)
end

-- An event notification for our simulated computer's modem: sent on in game, unchanged.
local function relay_to_game(params, sim_id, modem, in_game)
    if type(params) ~= "table" or params.computer ~= sim_id or params.name ~= "modem_message" then return false end
    local m = params.args or {}
    if type(m[2]) ~= "number" or type(m[3]) ~= "number" then return false end
    if m[3] ~= m[2] then in_game.learn(m[3]) end  -- answers from in game come back on it
    modem.transmit(m[2], m[3], m[4])
    return true
end

-- Relays until the connection ends; returns why, and how many messages went each way.
local function relay(ws, url, rpc, sim_id, modem, in_game, options)
    local on_sim = channel_set(OPEN_CHANNELS_MAX, function(c)
        rpc.call("modem.open", { id = sim_id, side = "top", channel = c })
    end, function(c)
        rpc.call("modem.close", { id = sim_id, side = "top", channel = c })
    end)
    for c in pairs(in_game.fixed) do on_sim.fix(c) end
    local counts = { to_sim = 0, to_game = 0 }
    refresh_ids(rpc, sim_id, in_game)
    local refresh_timer = os.startTimer(options.refresh)
    while true do
        local event, a, b, c, d = os.pullEvent()
        if event == "modem_message" and a == modem.side and in_game.has(b) then
            -- Answers from the simulated side come back on the reply channel: it is opened
            -- first, so the daemon (which runs a connection's requests in order) listens
            -- before the message can be answered.
            if c ~= b then on_sim.learn(c) end
            local params = { id = sim_id, side = "top", channel = b, reply_channel = c, message = d }
            if rpc.call("modem.transmit", params) then counts.to_sim = counts.to_sim + 1 end
        elseif event == "websocket_message" and a == url then
            local note = rpc.handle(b)
            if note and note.method == "event" then
                if relay_to_game(note.params, sim_id, modem, in_game) then counts.to_game = counts.to_game + 1 end
            elseif note and note.method == "shutdown" then
                ws.close()
                return "the daemon is shutting down", counts
            end
        elseif event == "websocket_closed" and a == url then
            return "connection closed", counts
        elseif event == "timer" and a == refresh_timer then
            refresh_ids(rpc, sim_id, in_game)
            refresh_timer = os.startTimer(options.refresh)
        end
    end
end

-- One connection: open, attach, relay. Returns why it ended.
local function session(url, modem, in_game, options, position, state)
    local ws, reason = http.websocket(url)
    if not ws then return "cannot connect: " .. tostring(reason) end
    state.ws = ws
    local rpc = connection(ws, url)
    local sim_id, attach_error = attach(rpc, options, position)
    if not sim_id then
        ws.close()
        state.ws = nil
        return attach_error
    end
    log(("joined %s as computer %d (%s)"):format(url, sim_id, options.label))
    state.backoff = 1
    local counts
    reason, counts = relay(ws, url, rpc, sim_id, modem, in_game, options)
    state.ws = nil
    log(("relayed %d in-game and %d simulated messages (%d dropped: daemon too slow)"):format(
        counts.to_sim, counts.to_game, rpc.dropped))
    return reason
end

local function run(options)
    if not http or not http.websocket then error("bridge: this computer has no http API (enable it in the server's config)", 0) end
    local side = find_modem(options.side)
    local modem = peripheral.wrap(side)
    modem.side = side
    local position = find_position(options)
    options.label = options.label or ("bridge-" .. os.getComputerID())
    -- Two channels stay free for rednet on this computer (its id and broadcast).
    local in_game = channel_set(OPEN_CHANNELS_MAX - 2, function(c) modem.open(c) end, function(c) modem.close(c) end)
    in_game.fix(CHANNEL_BROADCAST)
    in_game.fix(CHANNEL_REPEAT)
    if options.gps then in_game.fix(CHANNEL_GPS) end
    local state = { backoff = 1 }
    local ok, err = pcall(function()
        while true do
            local reason = session(options.url, modem, in_game, options, position, state)
            log(("%s; retrying in %d s"):format(tostring(reason), state.backoff))
            sleep(state.backoff)
            state.backoff = math.min(state.backoff * 2, BACKOFF_MAX_SECONDS)
        end
    end)
    -- Terminated (or failed): leave nothing open behind.
    if state.ws then pcall(state.ws.close) end
    in_game.close_all()
    if not ok and err ~= "Terminated" then error(err, 0) end
    log("stopped")
end

local parsed, options = pcall(parse_arguments, args)
if not parsed then error("bridge: " .. tostring(options) .. "\n" .. USAGE, 0) end
run(options)
