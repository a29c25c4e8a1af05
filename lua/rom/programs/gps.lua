-- gps: serve this computer's position to others ("gps host"), or find our own ("gps locate").
-- Written for redrund from the behaviour of CC: Tweaked's gps program.

local function print_usage()
    local program_name = arg and arg[0] or fs.getName(shell.getRunningProgram())
    print("Usages:")
    print(program_name .. " host")
    print(program_name .. " host <x> <y> <z>")
    print(program_name .. " locate")
end

-- Same search as gps.locate: the first side, in rs.getSides() order, with a wireless modem.
local function find_wireless_modem()
    for _, side in ipairs(rs.getSides()) do
        if peripheral.getType(side) == "modem" and peripheral.call(side, "isWireless") then
            return side
        end
    end
    return nil
end

-- Answers every PING heard on `modem` with the position, forever.
local function serve(modem, x, y, z)
    print("Opening channel on modem " .. modem)
    peripheral.call(modem, "open", gps.CHANNEL_GPS)

    local served = 0
    while true do
        local _, side, channel, reply_channel, message, distance = os.pullEvent("modem_message")
        if side == modem and channel == gps.CHANNEL_GPS and message == "PING" and distance then
            peripheral.call(modem, "transmit", reply_channel, gps.CHANNEL_GPS, { x, y, z })
            served = served + 1
            if served > 1 then
                -- Overwrite the previous count rather than scrolling a new line per request.
                local _, cursor_y = term.getCursorPos()
                term.setCursorPos(1, cursor_y - 1)
            end
            print(served .. " GPS requests served")
        end
    end
end

local function host(args)
    if pocket then
        print("GPS Hosts must be stationary")
        return
    end

    local modem = find_wireless_modem()
    if modem == nil then
        print("No wireless modems found. 1 required.")
        return
    end

    local x, y, z
    if #args >= 4 then
        x, y, z = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
        if x == nil or y == nil or z == nil then
            print_usage()
            return
        end
        print("Position is " .. x .. "," .. y .. "," .. z)
    else
        x, y, z = gps.locate(2, true)
        if x == nil then
            print("Run \"gps host <x> <y> <z>\" to set position manually")
            return
        end
    end

    serve(modem, x, y, z)
end

local args = { ... }
if args[1] == "locate" then
    gps.locate(2, true)
elseif args[1] == "host" then
    host(args)
else
    print_usage()
end
