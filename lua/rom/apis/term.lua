--- The term API: draws on whatever terminal object is the current redirect target.
-- Written for redrund from CC's documented behaviour. When this file runs, the global
-- `term` is still the host's native terminal table; os.loadAPI replaces it with this API.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

local native_term = term
local target = native_term

-- Always answered by the native terminal: never forwarded, not required of targets.
local native_only = { nativePaletteColour = true, nativePaletteColor = true }
for name in pairs(native_only) do _ENV[name] = native_term[name] end

--- Makes `new_target` the terminal that term.* draws on; returns the previous one.
function redirect(new_target)
    expect(1, new_target, "table")
    if new_target == _G.term then
        error("term is not a recommended redirect target, try term.current() instead", 2)
    end
    -- A target that lacks a method fails only when that method is used.
    for name, fn in pairs(native_term) do
        if type(name) == "string" and type(fn) == "function" and not native_only[name]
            and type(new_target[name]) ~= "function" then
            new_target[name] = function()
                error("Redirect object is missing method " .. name .. ".", 2)
            end
        end
    end
    local previous = target
    target = new_target
    return previous
end

function current() return target end

function native() return native_term end

-- Every native method, forwarded to the current target at call time. rawget: the private
-- environment falls back to _G, which has an unrelated global `write`.
for name, fn in pairs(native_term) do
    if type(fn) == "function" and rawget(_ENV, name) == nil then
        _ENV[name] = function(...) return target[name](...) end
    end
end
