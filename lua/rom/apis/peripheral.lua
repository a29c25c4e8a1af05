-- The peripheral API: the host's native peripheral functions, extended with the peripherals
-- that wired modems ("peripheral_hub"s) expose remotely, plus wrap, find and getName.
-- Written for redrund from the behaviour of CC: Tweaked's peripheral API.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

-- os.loadAPI replaces the global with this API's table, so keep the native one now.
local native = peripheral

-- The order CC uses for sides (rs.getSides()); remote names follow their modem's side.
local sides = { "bottom", "top", "back", "front", "right", "left" }

local function is_hub(side)
    if not native.isPresent(side) then return false end
    if native.hasType then return native.hasType(side, "peripheral_hub") == true end
    for _, t in ipairs({ native.getType(side) }) do
        if t == "peripheral_hub" then return true end
    end
    return false
end

-- The side of the hub that can see the remote peripheral `name`, or nil.
local function hub_for(name)
    for _, side in ipairs(sides) do
        if is_hub(side) and native.call(side, "isPresentRemote", name) then return side end
    end
    return nil
end

local function peripheral_meta(value)
    local mt = getmetatable(value)
    if type(mt) ~= "table" or mt.__name ~= "peripheral" or type(mt.name) ~= "string" then
        error("bad argument #1 (table is not a peripheral)", 3)
    end
    return mt
end

--- Every attached peripheral: each side, then the remote names seen through it.
function getNames()
    local names = {}
    for _, side in ipairs(sides) do
        if native.isPresent(side) then
            names[#names + 1] = side
            if is_hub(side) then
                for _, remote in ipairs(native.call(side, "getNamesRemote")) do
                    names[#names + 1] = remote
                end
            end
        end
    end
    return names
end

function isPresent(name)
    expect(1, name, "string")
    if native.isPresent(name) then return true end
    return hub_for(name) ~= nil
end

function getType(p)
    expect(1, p, "string", "table")
    if type(p) == "table" then
        return table.unpack(peripheral_meta(p).types)
    end
    if native.isPresent(p) then return native.getType(p) end
    local side = hub_for(p)
    if side then return native.call(side, "getTypeRemote", p) end
    return nil
end

function hasType(p, peripheral_type)
    expect(1, p, "string", "table")
    expect(2, peripheral_type, "string")
    if type(p) == "table" then
        return peripheral_meta(p).types[peripheral_type] ~= nil
    end
    if native.isPresent(p) then
        if native.hasType then return native.hasType(p, peripheral_type) end
        for _, t in ipairs({ native.getType(p) }) do
            if t == peripheral_type then return true end
        end
        return false
    end
    local side = hub_for(p)
    if side then return native.call(side, "hasTypeRemote", p, peripheral_type) end
    return nil
end

function getMethods(name)
    expect(1, name, "string")
    if native.isPresent(name) then return native.getMethods(name) end
    local side = hub_for(name)
    if side then return native.call(side, "getMethodsRemote", name) end
    return nil
end

function getName(p)
    expect(1, p, "table")
    return peripheral_meta(p).name
end

function call(name, method, ...)
    expect(1, name, "string")
    expect(2, method, "string")
    if native.isPresent(name) then return native.call(name, method, ...) end
    local side = hub_for(name)
    if side then return native.call(side, "callRemote", name, method, ...) end
    return nil
end

--- A table of the peripheral's methods, or nil when nothing is attached under `name`.
function wrap(name)
    expect(1, name, "string")
    local method_names = getMethods(name)
    if not method_names then return nil end

    -- `types` is both the list of types, in order, and a set keyed by type.
    local types = { getType(name) }
    for i = 1, #types do types[types[i]] = true end

    local wrapped = {}
    for _, method in ipairs(method_names) do
        wrapped[method] = function(...) return call(name, method, ...) end
    end
    return setmetatable(wrapped, {
        __name = "peripheral",
        name = name,
        type = types[1],
        types = types,
    })
end

--- Wraps every peripheral of `peripheral_type` that `filter(name, wrapped)` accepts.
function find(peripheral_type, filter)
    expect(1, peripheral_type, "string")
    expect(2, filter, "function", "nil")
    local found = {}
    for _, name in ipairs(getNames()) do
        if hasType(name, peripheral_type) then
            local wrapped = wrap(name)
            if filter == nil or filter(name, wrapped) then found[#found + 1] = wrapped end
        end
    end
    return table.unpack(found)
end
