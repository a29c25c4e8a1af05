--- Named settings, persisted to ".settings" (CC's settings API).
-- Written for redrund from CC's documented behaviour.

local expect = dofile("rom/modules/main/cc/expect.lua")
local field = expect.field
expect = expect.expect

local definitions = {} -- name -> { description, default, type }
local values = {}      -- name -> value explicitly set

local storable = { number = true, string = true, boolean = true, table = true }

-- Tables are copied in and out so that callers cannot change a stored value behind our back.
local function copy(value)
    if type(value) ~= "table" then return value end
    local result = {}
    for k, v in pairs(value) do result[k] = copy(v) end
    return result
end

local function check_type(name, value, index)
    local def = definitions[name]
    if def and def.type and value ~= nil and type(value) ~= def.type then
        error(("bad argument #%d (%s expected, got %s)"):format(index, def.type, type(value)), 3)
    end
end

function define(name, options)
    expect(1, name, "string")
    expect(2, options, "table", "nil")
    options = options or {}
    local def = {
        description = field(options, "description", "string", "nil"),
        type = field(options, "type", "string", "nil"),
    }
    if def.type and not storable[def.type] then
        error(("Unknown type %q. Expected one of number, string, boolean or table."):format(def.type), 2)
    end
    def.default = copy(options.default)
    definitions[name] = def
end

function undefine(name)
    expect(1, name, "string")
    definitions[name] = nil
end

function set(name, value)
    expect(1, name, "string")
    expect(2, value, "number", "string", "boolean", "table")
    check_type(name, value, 2)
    values[name] = copy(value)
end

function get(name, default)
    expect(1, name, "string")
    local value = values[name]
    if value ~= nil then return copy(value) end
    if default ~= nil then return default end
    local def = definitions[name]
    return def and copy(def.default)
end

function getDetails(name)
    expect(1, name, "string")
    local def = definitions[name] or {}
    local value = values[name]
    return {
        description = def.description,
        default = copy(def.default),
        type = def.type,
        value = value == nil and copy(def.default) or copy(value),
        changed = value ~= nil,
    }
end

function unset(name)
    expect(1, name, "string")
    values[name] = nil
end

function clear()
    values = {}
end

function getNames()
    local names, seen = {}, {}
    for _, source in ipairs({ definitions, values }) do
        for name in pairs(source) do
            if not seen[name] then
                seen[name] = true
                names[#names + 1] = name
            end
        end
    end
    table.sort(names)
    return names
end

--- Merges settings from a file; entries of the wrong type are skipped.
function load(path)
    expect(1, path, "string", "nil")
    local file = fs.open(path or ".settings", "r")
    if not file then return false end
    local text = file.readAll() or ""
    file.close()
    local loaded = textutils.unserialize(text)
    if type(loaded) ~= "table" then return false end
    for name, value in pairs(loaded) do
        local def = definitions[name]
        if type(name) == "string" and storable[type(value)]
            and not (def and def.type and def.type ~= type(value)) then
            values[name] = value
        end
    end
    return true
end

function save(path)
    expect(1, path, "string", "nil")
    local file = fs.open(path or ".settings", "w")
    if not file then return false end
    file.write(textutils.serialize(values))
    file.close()
    return true
end
