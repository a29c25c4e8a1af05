--- Run functions side by side as coroutines (CC's parallel API).
-- Written for redrund from the behaviour in cc-tweaked-behaviour.md §4.3.
--
-- Each function gets its own coroutine and event filter. Every event is offered to the
-- coroutines in argument order; the first round hands them no event at all.

local function make_routines(...)
    local routines = {}
    for i = 1, select("#", ...) do
        local fn = select(i, ...)
        if type(fn) ~= "function" then
            -- Level 3: the caller of waitForAny/waitForAll.
            error(("bad argument #%d (function expected, got %s)"):format(i, type(fn)), 3)
        end
        routines[i] = coroutine.create(fn)
    end
    return routines
end

-- Runs until no more than `keep_alive` routines are left, returning the index of the
-- routine whose end got there. Events are passed along as varargs rather than packed into a
-- table: this loop runs for every event the computer sees.
local function run(routines, keep_alive)
    local count = #routines
    local alive = count
    local filters = {}

    -- Marks routine i finished; returns i when that leaves few enough alive.
    local function finish(i)
        routines[i] = false
        alive = alive - 1
        if alive <= keep_alive then return i end
    end

    local function resume(i, co, ...)
        local ok, result = coroutine.resume(co, ...)
        if not ok then error(result, 0) end
        filters[i] = result
        if coroutine.status(co) == "dead" then return finish(i) end
    end

    local function dispatch(has_event, name, ...)
        for i = 1, count do
            local co = routines[i]
            if co then
                local filter = filters[i]
                if not has_event then
                    local done = resume(i, co)
                    if done then return done end
                elseif filter == nil or filter == name or name == "terminate" then
                    local done = resume(i, co, name, ...)
                    if done then return done end
                end
            end
        end
        -- A routine may have been finished from elsewhere (resumed by another routine).
        for i = 1, count do
            local co = routines[i]
            if co and coroutine.status(co) == "dead" then
                local done = finish(i)
                if done then return done end
            end
        end
    end

    local done = dispatch(false)
    while not done do
        done = dispatch(true, os.pullEventRaw())
    end
    return done
end

--- Returns the index of the first function to finish.
function waitForAny(...)
    local routines = make_routines(...)
    if #routines == 0 then return 0 end
    return run(routines, #routines - 1)
end

--- Returns the index of the last function to finish.
function waitForAll(...)
    local routines = make_routines(...)
    if #routines == 0 then return 0 end
    return run(routines, 0)
end
