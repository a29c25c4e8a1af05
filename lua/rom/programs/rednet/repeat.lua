-- repeat: relay rednet messages between all attached modems, so they reach computers out of
-- the sender's range. Written for redrund from the behaviour of CC: Tweaked's repeat program.

-- A relayed message ID is ignored for this long, so loops of repeaters settle.
local FORGET_SECONDS = 30

local modems = {}
for _, name in ipairs(peripheral.getNames()) do
    if peripheral.getType(name) == "modem" then modems[#modems + 1] = name end
end

if #modems == 0 then
    print("No modems found.")
    return
elseif #modems == 1 then
    print("1 modem found.")
else
    print(#modems .. " modems found.")
end

local function set_repeat_channel(method)
    for _, modem in ipairs(modems) do
        peripheral.call(modem, method, rednet.CHANNEL_REPEAT)
    end
end

local function relay(reply_channel, envelope)
    local channel = envelope.nRecipient
    if channel ~= rednet.CHANNEL_BROADCAST then channel = channel % rednet.MAX_ID_CHANNELS end
    -- Every modem, the incoming one included: other listeners may share its network.
    for _, modem in ipairs(modems) do
        peripheral.call(modem, "transmit", rednet.CHANNEL_REPEAT, reply_channel, envelope)
        peripheral.call(modem, "transmit", channel, reply_channel, envelope)
    end
end

local function report(count)
    local _, y = term.getCursorPos()
    term.setCursorPos(1, y - 1)
    term.clearLine()
    if count == 1 then
        print("1 message repeated.")
    else
        print(count .. " messages repeated.")
    end
end

-- CC relays any table with a truthy nMessageID and a numeric nRecipient. NaN IDs and
-- non-finite recipients are skipped too: relaying them would raise and stop the repeater.
local function is_relayable(envelope)
    if type(envelope) ~= "table" then return false end
    local id, recipient = envelope.nMessageID, envelope.nRecipient
    return id ~= nil and id ~= false and id == id
        and type(recipient) == "number" and recipient - recipient == 0
end

local function repeat_forever()
    local seen = {}        -- message ID -> true
    local forget_at = {}   -- timer ID -> message ID
    local count = 0
    while true do
        local event, p1, p2, p3, p4 = os.pullEvent()
        if event == "modem_message" then
            local channel, reply_channel, envelope = p2, p3, p4
            if channel == rednet.CHANNEL_REPEAT and is_relayable(envelope)
                and not seen[envelope.nMessageID] then
                seen[envelope.nMessageID] = true
                forget_at[os.startTimer(FORGET_SECONDS)] = envelope.nMessageID
                relay(reply_channel, envelope)
                count = count + 1
                report(count)
            end
        elseif event == "timer" and forget_at[p1] ~= nil then
            seen[forget_at[p1]] = nil
            forget_at[p1] = nil
        end
    end
end

print("0 messages repeated.")
set_repeat_channel("open")
local ok, err = pcall(repeat_forever)
if not ok then printError(err) end
set_repeat_channel("close")
