--- Builds `require` and `package` for a program's environment (CC's cc.require module).
-- Written for redrund from the Lua manual's require semantics and CC's documented path.

local expect = require and require("cc.expect").expect
    or dofile("rom/modules/main/cc/expect.lua").expect

local default_path = table.concat({
    "?", "?.lua", "?/init.lua",
    "/rom/modules/main/?", "/rom/modules/main/?.lua", "/rom/modules/main/?/init.lua",
}, ";")

-- Marks a module whose loader is still running, to catch circular requires.
local loading = {}

--- Finds the first existing file for `name` along `path`; relative entries are taken
-- from `dir`. Returns the file, or nil and the list of places tried.
local function search_path(name, path, dir)
    expect(1, name, "string")
    expect(2, path, "string")
    local file_name = name:gsub("%.", "/")
    local tried = {}
    for pattern in path:gmatch("[^;]+") do
        local candidate = pattern:gsub("%?", file_name)
        if candidate:sub(1, 1) ~= "/" then candidate = fs.combine(dir, candidate) end
        if fs.exists(candidate) and not fs.isDir(candidate) then return candidate end
        tried[#tried + 1] = "\n\tno file '" .. candidate .. "'"
    end
    return nil, table.concat(tried)
end

local function make(env, dir)
    expect(1, env, "table")
    expect(2, dir, "string")

    local package = {
        path = default_path,
        config = "/\n;\n?\n!\n-",
        preload = {},
        loaded = {
            _G = _G, bit32 = bit32, coroutine = coroutine, math = math,
            string = string, table = table, utf8 = utf8,
        },
    }
    package.loaded.package = package

    package.searchpath = function(name, path) return search_path(name, path, dir) end

    package.searchers = {
        function(name)
            if package.preload[name] then return package.preload[name], ":preload:" end
            return nil, "\n\tno field package.preload['" .. name .. "']"
        end,
        function(name)
            local path, err = search_path(name, package.path, dir)
            if not path then return nil, err end
            local fn, load_err = loadfile(path, nil, env)
            if not fn then error(("error loading module '%s' from file '%s':\n\t%s"):format(name, path, load_err), 0) end
            return fn, path
        end,
    }

    local function require(name)
        expect(1, name, "string")
        local loaded = package.loaded[name]
        if loaded == loading then error("loop or previous error loading module '" .. name .. "'", 2) end
        if loaded ~= nil then return loaded end

        local reasons = {}
        for _, searcher in ipairs(package.searchers) do
            local loader, extra = searcher(name)
            if loader then
                package.loaded[name] = loading
                local ok, result = pcall(loader, name, extra)
                if not ok then
                    package.loaded[name] = nil
                    error(result, 0)
                end
                if result == nil then result = true end
                package.loaded[name] = result
                return result, extra
            end
            reasons[#reasons + 1] = extra or ""
        end
        error("module '" .. name .. "' not found:" .. table.concat(reasons), 2)
    end

    return require, package
end

return { make = make }
