--- A tiny describe/it/expect test framework for redrund's Lua specs.
--
--   local spec = require "spec"
--   local describe, it, expect = spec.describe, spec.it, spec.expect
--   describe("thing", function()
--       it("works", function() expect(1 + 1):eq(2) end)
--   end)
--   spec.finish() -- prints the summary; raises if anything failed
--
-- Matchers: eq, ne, same (deep), type, matches (Lua pattern), ends (suffix), truthy, falsy,
-- near; expect.error(fn, ...) and expect.ok(fn, ...) check a call.
--
-- Tests run as soon as `it` is reached, so a spec file reads top to bottom. Each failure
-- prints one line; `finish` prints "N passed, M failed" and raises when M > 0, which makes
-- the program (and therefore redrund's run) exit non-zero.

local spec = {}

local path = {}   -- names of the enclosing describe blocks
local passed, failed, pending = 0, 0, 0

-- Values in messages: serialised when possible, so tables show their contents.
local function show(value)
    if type(value) == "string" then return ("%q"):format(value) end
    if type(value) == "table" and textutils then
        local ok, text = pcall(textutils.serialize, value, { compact = true })
        if ok then return text end
    end
    return tostring(value)
end

-- A failed matcher raises this marker so `it` can tell failures from other errors.
local Failure = {}
local function fail(message)
    local info = debug.getinfo(3, "Sl")
    local where = info and info.currentline and info.currentline > 0
        and (info.short_src .. ":" .. info.currentline .. ": ") or ""
    error(setmetatable({ message = where .. message }, Failure), 0)
end

local function deep_equal(a, b, seen)
    if a == b then return true end
    if type(a) ~= "table" or type(b) ~= "table" then
        return a ~= a and b ~= b -- NaN equals NaN for our purposes
    end
    seen = seen or {}
    if seen[a] == b then return true end
    seen[a] = b
    for k, v in pairs(a) do
        if not deep_equal(v, rawget(b, k), seen) then return false end
    end
    for k in pairs(b) do
        if rawget(a, k) == nil then return false end
    end
    return true
end

local Expectation = {}
Expectation.__index = Expectation

--- Exactly equal (==).
function Expectation:eq(expected)
    if self.value ~= expected then fail(("expected %s, got %s"):format(show(expected), show(self.value))) end
    return self
end

function Expectation:ne(unexpected)
    if self.value == unexpected then fail(("expected anything but %s"):format(show(unexpected))) end
    return self
end

--- Deeply equal: tables compared key by key.
function Expectation:same(expected)
    if not deep_equal(self.value, expected) then
        fail(("expected %s, got %s"):format(show(expected), show(self.value)))
    end
    return self
end

function Expectation:type(kind)
    if type(self.value) ~= kind then
        fail(("expected a %s, got %s %s"):format(kind, type(self.value), show(self.value)))
    end
    return self
end

--- A string matching a Lua pattern.
function Expectation:matches(pattern)
    if type(self.value) ~= "string" or not self.value:find(pattern) then
        fail(("expected %s to match %s"):format(show(self.value), show(pattern)))
    end
    return self
end

--- A string ending with `suffix` (handy for errors that carry a "file:line: " prefix).
function Expectation:ends(suffix)
    if type(self.value) ~= "string" or self.value:sub(-#suffix) ~= suffix then
        fail(("expected %s to end with %s"):format(show(self.value), show(suffix)))
    end
    return self
end

function Expectation:truthy()
    if not self.value then fail(("expected a true value, got %s"):format(show(self.value))) end
    return self
end

function Expectation:falsy()
    if self.value then fail(("expected a false value, got %s"):format(show(self.value))) end
    return self
end

--- A number within `margin` (default 1e-9) of `expected`.
function Expectation:near(expected, margin)
    margin = margin or 1e-9
    if type(self.value) ~= "number" or math.abs(self.value - expected) > margin then
        fail(("expected %s (within %s), got %s"):format(show(expected), show(margin), show(self.value)))
    end
    return self
end

spec.expect = setmetatable({}, {
    __call = function(_, value) return setmetatable({ value = value }, Expectation) end,
})

--- Calls fn(...) and expects it to raise; the expectation is about the error value.
function spec.expect.error(fn, ...)
    local ok, err = pcall(fn, ...)
    if ok then fail("expected an error, but the call succeeded") end
    return setmetatable({ value = err }, Expectation)
end

--- Calls fn(...) and expects it to succeed; the expectation is about its first result.
function spec.expect.ok(fn, ...)
    local ok, result = pcall(fn, ...)
    if not ok then fail("expected success, got error " .. show(result)) end
    return setmetatable({ value = result }, Expectation)
end

spec.fail = function(message) fail(message) end

function spec.describe(name, body)
    path[#path + 1] = name
    local ok, err = pcall(body)
    if not ok then
        failed = failed + 1
        printError("FAIL " .. table.concat(path, " ") .. " (in describe): " .. tostring(err))
    end
    path[#path] = nil
end

function spec.it(name, body)
    local full = table.concat(path, " ") .. " " .. name
    local ok, err = xpcall(body, function(e)
        if getmetatable(e) == Failure then return e end
        return debug.traceback(tostring(e), 2)
    end)
    if ok then
        passed = passed + 1
    else
        failed = failed + 1
        local message = getmetatable(err) == Failure and err.message or tostring(err)
        printError("FAIL " .. full .. ": " .. message)
    end
end

function spec.pending(name)
    pending = pending + 1
    print("PENDING " .. table.concat(path, " ") .. " " .. name)
end

--- Prints the summary and raises if any test failed.
function spec.finish()
    local summary = ("%d passed, %d failed"):format(passed, failed)
    if pending > 0 then summary = summary .. (", %d pending"):format(pending) end
    print(summary)
    if failed > 0 then error(("%d test(s) failed"):format(failed), 0) end
end

return spec
