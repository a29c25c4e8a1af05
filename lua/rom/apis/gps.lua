-- The gps API: find this computer's position from the distances to GPS hosts.
-- Written for redrund from the behaviour of CC: Tweaked's gps API.
--
-- Protocol: "PING" is transmitted on CHANNEL_GPS with reply channel CHANNEL_GPS; each host
-- answers on the reply channel with {x, y, z}, and the modem_message distance gives the radius.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

CHANNEL_GPS = 65534

-- Positions are rounded to this step, so float noise in the maths does not show.
local ROUND_STEP = 0.01

local function same_position(a, b)
    return a.x == b.x and a.y == b.y and a.z == b.z
end

-- Intersects the spheres around three fixes. Returns nothing when the hosts are (nearly) on
-- one line, one point when the intersection is unique, else the two mirror-image points.
local function trilaterate(a, b, c)
    local a_to_b = b.vPosition - a.vPosition
    local a_to_c = c.vPosition - a.vPosition
    if math.abs(a_to_b:normalize():dot(a_to_c:normalize())) > 0.999 then
        return nil
    end

    -- A local frame: ex along a->b, ey in the plane of the three hosts, ez normal to it.
    local d = a_to_b:length()
    local ex = a_to_b:normalize()
    local i = ex:dot(a_to_c)
    local ey = (a_to_c - ex * i):normalize()
    local j = ey:dot(a_to_c)
    local ez = ex:cross(ey)

    local r1, r2, r3 = a.nDistance, b.nDistance, c.nDistance
    local x = (r1 * r1 - r2 * r2 + d * d) / (2 * d)
    local y = (r1 * r1 - r3 * r3 + i * i + j * j) / (2 * j) - (i / j) * x
    local base = a.vPosition + ex * x + ey * y

    local z_squared = r1 * r1 - x * x - y * y
    if z_squared > 0 then
        local z = math.sqrt(z_squared)
        local p1 = (base + ez * z):round(ROUND_STEP)
        local p2 = (base - ez * z):round(ROUND_STEP)
        if same_position(p1, p2) then return p1 end
        return p1, p2
    end
    return base:round(ROUND_STEP)
end

-- Keeps whichever of two candidates better matches another fix's distance; both if it is
-- too close to call.
local function narrow(p1, p2, fix)
    local error1 = math.abs((p1 - fix.vPosition):length() - fix.nDistance)
    local error2 = math.abs((p2 - fix.vPosition):length() - fix.nDistance)
    if math.abs(error1 - error2) < ROUND_STEP then
        return p1, p2
    elseif error1 < error2 then
        return p1:round(ROUND_STEP)
    else
        return p2:round(ROUND_STEP)
    end
end

-- The first side, in rs.getSides() order, with a wireless modem. Remote names do not count.
local function find_wireless_modem()
    for _, side in ipairs(rs.getSides()) do
        if peripheral.getType(side) == "modem" and peripheral.call(side, "isWireless") then
            return side
        end
    end
    return nil
end

local function parse_fix(message, distance)
    if type(message) ~= "table" or #message ~= 3 then return nil end
    local x, y, z = tonumber(message[1]), tonumber(message[2]), tonumber(message[3])
    if not (x and y and z) then return nil end
    return { vPosition = vector.new(x, y, z), nDistance = distance }
end

-- Stores at most three fixes. A fix less than one block from a stored one replaces it, so a
-- duplicated host does not count twice; otherwise the new fix takes the next free slot, or
-- slot 3 once all are used.
local function store_fix(fixes, fix)
    local slot = math.min(3, #fixes + 1)
    for k, stored in ipairs(fixes) do
        if (stored.vPosition - fix.vPosition):length() < 1 then
            slot = k
            break
        end
    end
    fixes[slot] = fix
end

-- Collects fixes until the position is unique or the timer fires; returns the candidates.
local function collect_fixes(modem, timer, debug)
    local fixes = {}
    local pos1, pos2
    while true do
        local event, side, channel, reply_channel, message, distance = os.pullEvent()
        if event == "modem_message" then
            local fix = nil
            if side == modem and channel == CHANNEL_GPS and reply_channel == CHANNEL_GPS
                and distance ~= nil then
                fix = parse_fix(message, distance)
            end
            if fix then
                if debug then
                    print(fix.nDistance .. " metres from " .. tostring(fix.vPosition))
                end
                if fix.nDistance == 0 then
                    pos1, pos2 = fix.vPosition, nil
                else
                    store_fix(fixes, fix)
                    if #fixes == 3 then
                        if not pos1 then
                            pos1, pos2 = trilaterate(fixes[1], fixes[2], fixes[3])
                        else
                            pos1, pos2 = narrow(pos1, pos2, fixes[3])
                        end
                    end
                end
                if pos1 and not pos2 then return pos1 end
            end
        elseif event == "timer" and side == timer then
            return pos1, pos2
        end
    end
end

--- Returns x, y, z of this computer, or nil when it cannot be worked out.
function locate(timeout, debug)
    expect(1, timeout, "number", "nil")
    expect(2, debug, "boolean", "nil")

    if commands then return commands.getBlockPosition() end

    local modem = find_wireless_modem()
    if modem == nil then
        if debug then print("No wireless modem attached") end
        return nil
    end
    if debug then print("Finding position...") end

    local close_after = false
    if not peripheral.call(modem, "isOpen", CHANNEL_GPS) then
        peripheral.call(modem, "open", CHANNEL_GPS)
        close_after = true
    end

    peripheral.call(modem, "transmit", CHANNEL_GPS, CHANNEL_GPS, "PING")
    local pos1, pos2 = collect_fixes(modem, os.startTimer(timeout or 2), debug)

    if close_after then peripheral.call(modem, "close", CHANNEL_GPS) end

    if pos1 and pos2 then
        if debug then
            print("Ambiguous position")
            print("Could be " .. pos1.x .. "," .. pos1.y .. "," .. pos1.z
                .. " or " .. pos2.x .. "," .. pos2.y .. "," .. pos2.z)
        end
        return nil
    elseif pos1 then
        if debug then print("Position is " .. pos1.x .. "," .. pos1.y .. "," .. pos1.z) end
        return pos1.x, pos1.y, pos1.z
    end
    if debug then print("Could not determine position") end
    return nil
end
