-- The http API's Lua half: the blocking and asynchronous forms built on the host's natives
-- (daemon/computer/api/http_api.cpp), with CC: Tweaked's observable behaviour. Written for
-- redrund from CC's documentation; loaded by bios only when the computer has http natives.
--
-- Not provided: http.request, http.get and http.post (plain HTTP requests), and wss://
-- (no TLS). See lua/README.md.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

local native = http
local native_websocket = native.websocket
local native_check_url = native.checkURL

-- Starts opening a WebSocket (arguments already checked). Returns the URL its events carry
-- (the string, or the url field of CC's options table, whose fields the native checks) and
-- the native's answer.
local function start(url, headers)
    local ok, err = native_websocket(url, headers)
    return type(url) == "table" and url.url or url, ok, err
end

--- Starts opening a WebSocket; a websocket_success or websocket_failure event follows. A
-- refused URL is reported both ways: returned, and as a websocket_failure event.
function websocketAsync(url, headers)
    if type(url) ~= "table" then expect(1, url, "string") expect(2, headers, "table", "nil") end
    local address, ok, err = start(url, headers)
    if not ok then os.queueEvent("websocket_failure", address, err) end
    return ok, err
end

--- Opens a WebSocket and waits for it: the handle, or false and the reason.
function websocket(url, headers)
    if type(url) ~= "table" then expect(1, url, "string") expect(2, headers, "table", "nil") end
    local address, ok, err = start(url, headers)
    if not ok then return ok, err end
    while true do
        local event, event_url, param = os.pullEvent()
        if event == "websocket_success" and event_url == address then
            return param
        elseif event == "websocket_failure" and event_url == address then
            return false, param
        end
    end
end

--- Starts checking whether an http(s) URL may be requested; an http_check event follows.
checkURLAsync = native_check_url

--- Whether an http(s) URL may be requested: true, or false and the reason.
function checkURL(url)
    expect(1, url, "string")
    local ok, err = native_check_url(url)
    if not ok then return ok, err end
    while true do
        local _, event_url, allowed, reason = os.pullEvent("http_check")
        if event_url == url then return allowed, reason end
    end
end
