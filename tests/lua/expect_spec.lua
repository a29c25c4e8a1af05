-- cc.expect's messages (cc-tweaked-behaviour.md §7.4): the position is the caller of the
-- checked function, and the function's name is given when Lua knows it.
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect
local e = require "cc.expect"

describe("cc.expect.expect", function()
    it("returns the value when the type matches", function()
        expect(e.expect(1, 5, "number")):eq(5)
        expect(e.expect(2, nil, "string", "nil")):eq(nil)
    end)
    it("words the expected types like CC", function()
        -- Called straight from pcall, level 3 is the spec's own helper, hence `ends`.
        expect.error(e.expect, 1, nil, "number"):ends(" bad argument #1 (number expected, got nil)")
        expect.error(e.expect, 2, 1, "string", "nil"):ends(" bad argument #2 (string or nil expected, got number)")
        expect.error(e.expect, 3, {}, "number", "string", "nil")
            :ends("bad argument #3 (number, string or nil expected, got table)")
    end)
    it("leaves out the name when called from C", function()
        local function worker(x) e.expect(1, x, "string") end
        expect.error(worker, nil):eq("bad argument #1 (string expected, got nil)")
    end)
    it("names the checked function and blames its caller", function()
        local function worker(x) e.expect(1, x, "string") end
        local line = debug.getinfo(1, "l").currentline + 1
        local ok, err = pcall(function() worker(nil) end)
        expect(ok):eq(false)
        expect(err):eq(("/expect_spec.lua:%d: bad argument #1 to 'worker' (string expected, got nil)"):format(line))
    end)
    it("is what the ROM APIs use", function()
        expect.error(sleep, "x"):eq("bad argument #1 (number or nil expected, got string)")
        local ok, err = pcall(function() textutils.serialize({}, 5) end)
        expect(err):matches("bad argument #2 to 'serialize' %(table or nil expected, got number%)$")
    end)
end)

describe("cc.expect.field", function()
    it("checks table fields", function()
        expect(e.field({ a = 1 }, "a", "number")):eq(1)
        expect.error(e.field, { a = 1 }, "b", "number"):ends(" bad field 'b' (number expected, got nil)")
        expect.error(e.field, {}, "c", "string", "table", "number")
            :ends(" bad field 'c' (string, table or number expected, got nil)")
    end)
end)

describe("cc.expect.range", function()
    it("checks numeric ranges", function()
        expect(e.range(2, 1, 3)):eq(2)
        expect(e.range(100)):eq(100)
        expect.error(e.range, 5, 1, 3):ends(" number outside of range (expected 5 to be within 1 and 3)")
        expect.error(e.range, 0 / 0, 1, 3):matches("number outside of range")
    end)
end)

spec.finish()
