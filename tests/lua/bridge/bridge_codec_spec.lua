-- The in-game bridge's own JSON codec (lua/bridge/bridge.lua) against proto/lua-values.md:
-- the document's examples both ways, scalars, sharing and cycles, what is refused, and the
-- channel budget. Run with bridge.lua copied next to it (tests/CMakeLists.txt).
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

local bridge = assert(loadfile("bridge.lua", nil, _ENV))("--module")
local codec = bridge.codec

local function round_trip(value) return codec.decode(codec.encode(value)) end

local function all_bytes()
    local parts = {}
    for i = 0, 255 do parts[#parts + 1] = string.char(i) end
    return table.concat(parts)
end

describe("the examples of lua-values.md", function()
    it("encode as written there", function()
        expect(codec.encode({ 1, 2, 3 })):eq("[1,2,3]")
        expect(codec.encode({ x = 1, y = {} })):eq('{"x":1,"y":{}}')
        expect(codec.encode({ 1, nil, 3 })):eq('{"$table":[[1,1],[3,3]]}')
        expect(codec.encode({ [1.5] = "a", n = 1 })):eq('{"$table":[[1.5,"a"],["n",1]]}')
        expect(codec.encode({ ["$id"] = 1 })):eq('{"$table":[["$id",1]]}')
        local t = {}
        expect(codec.encode({ a = t, b = t })):eq('{"a":{"$id":1,"$table":[]},"b":{"$ref":1}}')
        local self = {}
        self.self = self
        expect(codec.encode(self)):eq('{"$id":1,"$table":[["self",{"$ref":1}]]}')
    end)

    it("decode back to the same values and shapes", function()
        expect(codec.decode("[1,2,3]")):same({ 1, 2, 3 })
        expect(codec.decode('{"x":1,"y":{}}')):same({ x = 1, y = {} })
        expect(codec.decode('{"$table":[[1,1],[3,3]]}')):same({ [1] = 1, [3] = 3 })
        expect(codec.decode('{"$table":[[1.5,"a"],["n",1]]}')):same({ [1.5] = "a", n = 1 })
        expect(codec.decode('{"$table":[["$id",1]]}')):same({ ["$id"] = 1 })
        local shared = codec.decode('{"a":{"$id":1,"$table":[]},"b":{"$ref":1}}')
        expect(rawequal(shared.a, shared.b)):eq(true)
        local cycle = codec.decode('{"$id":1,"$table":[["self",{"$ref":1}]]}')
        expect(rawequal(cycle.self, cycle)):eq(true)
    end)
end)

describe("scalars", function()
    it("numbers: integers, shortest floats, and the special forms", function()
        expect(codec.encode(42)):eq("42")
        expect(codec.encode(-7)):eq("-7")
        expect(codec.encode(2 ^ 53)):eq("9007199254740992")
        expect(codec.encode(0.1)):eq("0.1")
        expect(codec.encode(1e300)):eq("1e+300")
        expect(codec.encode(-0.0)):eq("-0.0")
        expect(codec.encode(0 / 0)):eq('{"$number":"nan"}')
        expect(codec.encode(math.huge)):eq('{"$number":"inf"}')
        expect(codec.encode(-math.huge)):eq('{"$number":"-inf"}')
        expect(1 / codec.decode("-0.0")):eq(-math.huge)
        local nan = codec.decode('{"$number":"nan"}')
        expect(nan ~= nan):eq(true)
        for _, n in ipairs({ 1 / 3, -2.5e-300, 123456789.125, 2 ^ 63, -2 ^ 63, 5e-324 }) do
            expect(round_trip(n)):eq(n)
        end
    end)

    it("text: valid UTF-8 as (ASCII-only) JSON strings, other bytes as $bytes", function()
        expect(codec.encode("h\195\169llo")):eq('"h\\u00e9llo"')
        expect(codec.encode("a\0b")):eq('"a\\u0000b"')
        expect(codec.encode('"\\\n\t')):eq('"\\"\\\\\\n\\t"')
        expect(codec.encode("\240\159\152\128")):eq('"\\ud83d\\ude00"')
        expect(codec.encode("\255")):eq('{"$bytes":"/w=="}')
        expect(codec.decode('"\\ud83d\\ude00"')):eq("\240\159\152\128")
        expect(codec.decode('"caf\195\169 \\/ \\u00e9"')):eq("caf\195\169 / \195\169")
        expect(round_trip(all_bytes())):eq(all_bytes())
        for _, s in ipairs({ "", "\192\128", "\237\160\128", "\244\144\128\128", "\224\128" }) do
            expect(round_trip(s)):eq(s)  -- overlong, surrogate, too high, truncated: all as bytes
        end
    end)

    it("base64 of every length", function()
        local text = all_bytes()
        for n = 0, 7 do expect(codec.base64_decode(codec.base64_encode(text:sub(1, n)))):eq(text:sub(1, n)) end
        expect(codec.base64_encode("ab")):eq("YWI=")
        expect(codec.base64_decode("YW=I")):eq(nil)
        expect(codec.base64_decode("YWI")):eq(nil)
    end)
end)

describe("tables", function()
    it("write keys in the document's order: numbers, strings, false, true", function()
        local t = { [true] = 1, [false] = 2, b = 3, a = 4, [2] = 5, [0.5] = 6 }
        expect(codec.encode(t)):eq('{"$table":[[0.5,6],[2,5],["a",4],["b",3],[false,2],[true,1]]}')
    end)

    it("leave out what CC's marshalling drops", function()
        expect(codec.encode({ f = print, x = 1, [print] = 2 })):eq('{"x":1}')
        expect(codec.encode(print)):eq("null")
    end)

    it("keep tables as keys, shared structure and cycles", function()
        local key = { 1 }
        local value = { [key] = key, list = { key, key } }
        value.me = value
        local back = round_trip(value)
        expect(rawequal(back.me, back)):eq(true)
        expect(rawequal(back.list[1], back.list[2])):eq(true)
        local found
        for k, v in pairs(back) do
            if type(k) == "table" then found = k expect(rawequal(k, v)):eq(true) end
        end
        expect(found):same({ 1 })
        expect(rawequal(found, back.list[1])):eq(true)
    end)

    it("read plain JSON: nulls are holes in arrays and absent members", function()
        local v = codec.decode(' { "a" : [1, null, 3], "b": null, "c": {"d": [true, false]} } ')
        expect(v.a[1]):eq(1)
        expect(v.a[2]):eq(nil)
        expect(v.a[3]):eq(3)
        expect(v.b):eq(nil)
        expect(v.c):same({ d = { true, false } })
        expect(codec.decode("null")):eq(nil)
    end)

    it("read a $ref that comes before its $id", function()
        local v = codec.decode('[{"$ref":7},{"$id":7,"$table":[[1,"x"]]}]')
        expect(rawequal(v[1], v[2])):eq(true)
        expect(v[1][1]):eq("x")
    end)

    it("read what the daemon sends: an event notification", function()
        local text = '{"jsonrpc":"2.0","method":"event","params":{"computer":5,"name":"modem_message",'
            .. '"args":["top",65535,12,{"$id":1,"$table":[["nMessageID",3],["self",{"$ref":1}]]},{"$number":"inf"}]}}'
        local note = codec.decode(text)
        local args = note.params.args
        expect(args[1]):eq("top")
        expect(args[2]):eq(65535)
        expect(rawequal(args[4].self, args[4])):eq(true)
        expect(args[5]):eq(math.huge)
    end)
end)

describe("refusals", function()
    local function refused(text, message)
        expect.error(codec.decode, text):matches(message)
    end

    it("refuses malformed $ forms", function()
        refused('{"$ref":1}', "has no %$id")
        refused('[{"$id":1,"$table":[]},{"$id":1,"$table":[]}]', "two %$id")
        refused('{"$table":[[null,1]]}', "table key is nil")
        refused('{"$table":[[{"$number":"nan"},1]]}', "NaN")
        refused('{"$table":[["a",1],["a",2]]}', "same key twice")
        refused('{"$what":1}', "unknown %$ form")
        refused('{"$number":"big"}', "nan, inf or %-inf")
        refused('{"$bytes":"@@@@"}', "not base64")
        refused('{"x":1,"$bytes":""}', "unknown %$ form")
    end)

    it("refuses malformed JSON", function()
        refused("[1,2", "expected , or %]")
        refused("", "unexpected end")
        refused("[1] x", "trailing characters")
        refused('"\\x"', "bad escape")
        refused('"abc', "unterminated string")
        refused("01", "bad number")
        refused("tru", "bad literal")
        refused(("["):rep(600) .. ("]"):rep(600), "nested too deeply")
    end)
end)

describe("channel budgets", function()
    it("keep fixed channels and forget learned ones least recently used first", function()
        local open, closed = {}, {}
        local set = bridge.channel_set(4, function(c) open[#open + 1] = c end, function(c) closed[#closed + 1] = c end)
        set.fix(65535)
        set.fix(65533)
        set.learn(1)
        set.learn(2)
        set.learn(1)  -- used again: 2 is now the oldest
        expect(set.learn(3)):eq(2)
        expect(set.has(2)):eq(false)
        expect(set.has(1)):eq(true)
        expect(set.count()):eq(4)
        expect(open):same({ 65535, 65533, 1, 2, 3 })
        expect(closed):same({ 2 })
        set.close_all()
        expect(set.count()):eq(0)
        expect(#closed):eq(5)
    end)

    it("learn nothing when fixed channels fill the budget", function()
        local set = bridge.channel_set(1, function() end, function() end)
        set.fix(65535)
        expect(set.learn(5)):eq(nil)
        expect(set.has(5)):eq(false)
    end)
end)

spec.finish()
