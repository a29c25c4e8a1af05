-- getfenv/setfenv as Cobalt emulates them on _ENV (cc-tweaked-behaviour.md §6).
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

describe("getfenv", function()
    it("returns a function's _ENV upvalue", function()
        local env = { print = print }
        local fn = load("return function() return print end", "=x", "t", env)()
        expect(getfenv(fn)):eq(env)
    end)
    it("returns _G for functions without an _ENV upvalue", function()
        local function pure(a) return a end
        expect(getfenv(pure)):eq(_G)
        expect(getfenv(string.len)):eq(_G) -- a native function
    end)
    it("returns _G when _ENV is not a table", function()
        local fn = load("return function() return x end", "=x", "t", 5)()
        expect(getfenv(fn)):eq(_G)
    end)
    it("accepts stack levels", function()
        local env = setmetatable({}, { __index = _G })
        local fn = load("return getfenv(1), getfenv(0), getfenv()", "=x", "t", env)
        local one, zero, default = fn()
        expect(one):eq(env)
        expect(zero):eq(_G)
        expect(default):eq(env)
        -- Not a tail call, so level 2 is the chunk itself.
        local outer = load("local e = (function() local r = getfenv(2) return r end)() return e", "=y", "t", env)
        expect(outer()):eq(env)
    end)
    it("rejects bad levels", function()
        expect.error(getfenv, -1):matches("level must be non%-negative")
        expect.error(getfenv, 100):matches("invalid level")
        expect.error(getfenv, "x"):matches("number expected, got string")
    end)
    it("sees the private environment of an API", function()
        -- slowWrite reads globals (term, sleep), so it has an _ENV upvalue.
        local env = getfenv(textutils.slowWrite)
        expect(env):ne(_G)
        expect(env):ne(textutils)
        expect(rawget(env, "slowWrite")):eq(textutils.slowWrite)
        expect(getmetatable(env).__index):eq(_G)
    end)
end)

describe("setfenv", function()
    it("changes only the given closure", function()
        local chunk = load([[
            local function a() return marker end
            local function b() return marker end
            return a, b
        ]], "=z", "t", { marker = "old" })
        local a, b = chunk()
        expect(setfenv(a, { marker = "new" })):eq(a)
        expect(a()):eq("new")
        expect(b()):eq("old")
    end)
    it("returns closures without _ENV unchanged", function()
        local function pure() return 1 end
        expect(setfenv(pure, {})):eq(pure)
        expect(pure()):eq(1)
    end)
    it("refuses native functions and level 0", function()
        expect.error(setfenv, string.len, {}):eq("'setfenv' cannot change environment of given object")
        expect.error(setfenv, 0, {}):eq("'setfenv' cannot change environment of given object")
    end)
    it("requires a table", function()
        expect.error(setfenv, function() end, 1):matches("bad argument #2 .*table expected, got number")
    end)
    it("accepts stack levels", function()
        local env = { result = nil }
        local fn = load("setfenv(1, ...) x = 5", "=w", "t", _G)
        fn(env)
        expect(env.x):eq(5)
        expect(rawget(_G, "x")):eq(nil)
    end)
end)

spec.finish()
