-- parallel against CC's behaviour (cc-tweaked-behaviour.md §4.3).
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

describe("parallel.waitForAny", function()
    it("returns 0 with no functions", function()
        expect(parallel.waitForAny()):eq(0)
        expect(parallel.waitForAll()):eq(0)
    end)
    it("checks its arguments", function()
        expect.error(parallel.waitForAny, print, 1):eq("bad argument #2 (function expected, got number)")
        expect.error(parallel.waitForAll, nil):eq("bad argument #1 (function expected, got nil)")
    end)
    it("returns the index of the first function to finish", function()
        local result = parallel.waitForAny(
            function() os.pullEvent("never") end,
            function() sleep(0) end,
            function() sleep(1) end)
        expect(result):eq(2)
    end)
    it("runs every routine first with no event", function()
        local counts = {}
        os.queueEvent("x")
        parallel.waitForAny(
            function(...) counts[1] = select("#", ...) os.pullEvent("x") end,
            function(...) counts[2] = select("#", ...) os.pullEvent("never") end)
        expect(counts):same({ 0, 0 })
    end)
    it("resumes routines in argument order", function()
        local order = {}
        local function worker(name)
            return function()
                for _ = 1, 2 do
                    os.pullEvent("tick")
                    order[#order + 1] = name
                end
            end
        end
        os.queueEvent("tick")
        os.queueEvent("tick")
        parallel.waitForAll(worker("x"), worker("y"))
        expect(order):same({ "x", "y", "x", "y" })
    end)
    it("does not let later routines see the event that ended waitForAny", function()
        local later = 0
        os.queueEvent("go")
        parallel.waitForAny(function() os.pullEvent("go") end, function()
            while true do
                os.pullEvent("go")
                later = later + 1
            end
        end)
        expect(later):eq(0)
    end)
    it("honours filters", function()
        local got
        os.queueEvent("other", 1)
        os.queueEvent("wanted", 2)
        parallel.waitForAny(function()
            local _, value = os.pullEvent("wanted")
            got = value
        end)
        expect(got):eq(2)
    end)
    it("hands every routine the same event values", function()
        local a, b
        local payload = {}
        os.queueEvent("share", payload)
        parallel.waitForAll(
            function() a = select(2, os.pullEvent("share")) end,
            function() b = select(2, os.pullEvent("share")) end)
        expect(a):type("table")
        expect(rawequal(a, b)):eq(true)
    end)
    it("delivers terminate whatever the filter", function()
        local got
        os.queueEvent("terminate")
        parallel.waitForAny(function() got = os.pullEventRaw("never") end)
        expect(got):eq("terminate")
        os.queueEvent("terminate")
        expect.error(parallel.waitForAny, function() os.pullEvent("never") end):eq("Terminated")
    end)
    it("rethrows a routine's error value unchanged", function()
        local value = { "boom" }
        local ok, err = pcall(parallel.waitForAny, function() error(value) end, function() sleep(10) end)
        expect(ok):eq(false)
        expect(rawequal(err, value)):eq(true)
        expect.error(parallel.waitForAll, function() error("plain", 0) end):eq("plain")
    end)
end)

describe("parallel.waitForAll", function()
    it("returns the index of the last function to finish", function()
        local result = parallel.waitForAll(
            function() sleep(0.5) end,
            function() sleep(0) end,
            function() end)
        expect(result):eq(1)
    end)
    it("waits for every routine", function()
        local done = {}
        parallel.waitForAll(function() sleep(0.1) done[1] = true end, function() done[2] = true end)
        expect(done):same({ true, true })
    end)
end)

spec.finish()
