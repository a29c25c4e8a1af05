--- Argument checking helpers with CC: Tweaked's error wording.
-- Written for redrund from CC's documented behaviour (see
-- /work/shared/reference/cc-tweaked-behaviour.md); not derived from CC's source.
--
-- Errors are raised at level 3 so that the position names the line that
-- called the checked function, not the function itself.

local native_type, native_select = type, select
local getinfo = debug and debug.getinfo

-- "a", "a or b", "a, b or c": the list form CC uses in its messages.
local function type_names(...)
    local n = native_select("#", ...)
    if n == 0 then return "nothing" end
    if n == 1 then return (...) end
    local names = { ... }
    return table.concat(names, ", ", 1, n - 1) .. " or " .. names[n]
end

-- The name of the function that called expect. It is left out when that function is a C
-- function (expect called straight from pcall, say), whose reported name means nothing.
local function checked_function_name()
    if not getinfo then return nil end
    -- Level 3 seen from here: 1 is this helper, 2 expect, 3 the checked function.
    local info = getinfo(3, "nS")
    if not info or not info.name or info.name == "" or info.what == "C" then return nil end
    return info.name
end

local function expect(index, value, ...)
    local t = native_type(value)
    for i = 1, native_select("#", ...) do
        if t == native_select(i, ...) then return value end
    end
    local name = checked_function_name()
    if name then
        error(("bad argument #%d to '%s' (%s expected, got %s)"):format(index, name, type_names(...), t), 3)
    end
    error(("bad argument #%d (%s expected, got %s)"):format(index, type_names(...), t), 3)
end

local function field(tbl, index, ...)
    expect(1, tbl, "table")
    expect(2, index, "string")
    local value = tbl[index]
    local t = native_type(value)
    for i = 1, native_select("#", ...) do
        if t == native_select(i, ...) then return value end
    end
    error(("bad field '%s' (%s expected, got %s)"):format(index, type_names(...), t), 3)
end

-- NaN fails every comparison, so it is reported as out of range too.
local function range(num, min, max)
    expect(1, num, "number")
    min = expect(2, min, "number", "nil") or -math.huge
    max = expect(3, max, "number", "nil") or math.huge
    if num ~= num or num < min or num > max then
        error(("number outside of range (expected %s to be within %s and %s)"):format(num, min, max), 3)
    end
    return num
end

return { expect = expect, field = field, range = range }
