-- The rednet API: addressed messages between computers over modems, with repeaters and DNS.
-- Written for redrund from the behaviour of CC: Tweaked's rednet API.
--
-- Contracts other code relies on:
-- * os.getComputerID() is read every time the ID is needed (scripts override it);
-- * rednet.run reads os.pullEventRaw through this API's environment on every iteration
--   (RedRun replaces `os` in getfenv(rednet.run));
-- * rednet.run has upvalues named received_messages and prune_received_timer (tests read them);
-- * only os.getComputerID, queueEvent, pullEventRaw, pullEvent, startTimer, clock and
--   peripheral.* are used, so the API runs inside minimal fake computers.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

CHANNEL_BROADCAST = 65535
CHANNEL_REPEAT = 65533
MAX_ID_CHANNELS = 65500

-- Message IDs already seen (sent or received), mapped to the os.clock() time after which
-- the next prune may forget them.
local received_messages = {}
-- The pending prune timer, or nil while received_messages is empty.
local prune_received_timer = nil
-- Protocol -> the hostname this computer hosts it under.
local hostnames = {}
local running = false

-- How long a seen message ID is remembered at least, and how often the table is pruned.
local DEDUPE_SECONDS = 9.5
local PRUNE_INTERVAL = 10

local function id_channel()
    return os.getComputerID() % MAX_ID_CHANNELS
end

local function is_number(v)
    return type(v) == "number" and v == v
end

function open(modem)
    expect(1, modem, "string")
    if peripheral.getType(modem) ~= "modem" then
        error("No such modem: " .. modem, 2)
    end
    peripheral.call(modem, "open", id_channel())
    peripheral.call(modem, "open", CHANNEL_BROADCAST)
end

function close(modem)
    expect(1, modem, "string", "nil")
    if modem then
        if peripheral.getType(modem) ~= "modem" then
            error("No such modem: " .. modem, 2)
        end
        peripheral.call(modem, "close", id_channel())
        peripheral.call(modem, "close", CHANNEL_BROADCAST)
        return
    end
    for _, name in ipairs(peripheral.getNames()) do
        if isOpen(name) then close(name) end
    end
end

function isOpen(modem)
    expect(1, modem, "string", "nil")
    if modem then
        if peripheral.getType(modem) == "modem" then
            return peripheral.call(modem, "isOpen", id_channel())
                and peripheral.call(modem, "isOpen", CHANNEL_BROADCAST)
        end
        return false
    end
    for _, name in ipairs(peripheral.getNames()) do
        if isOpen(name) then return true end
    end
    return false
end

function send(recipient, message, protocol)
    expect(1, recipient, "number")
    expect(3, protocol, "string", "nil")

    -- Remember our own message so it is ignored if a repeater or second modem echoes it.
    local message_id = math.random(1, 2147483647)
    received_messages[message_id] = os.clock() + DEDUPE_SECONDS
    if not prune_received_timer then
        prune_received_timer = os.startTimer(PRUNE_INTERVAL)
    end

    if recipient == os.getComputerID() then
        os.queueEvent("rednet_message", os.getComputerID(), message, protocol)
        return true
    end

    local channel = recipient
    if recipient ~= CHANNEL_BROADCAST then channel = recipient % MAX_ID_CHANNELS end
    local envelope = {
        nMessageID = message_id,
        nRecipient = recipient,
        nSender = os.getComputerID(),
        message = message,
        sProtocol = protocol,
    }
    local sent = false
    for _, name in ipairs(peripheral.getNames()) do
        if isOpen(name) then
            peripheral.call(name, "transmit", channel, id_channel(), envelope)
            peripheral.call(name, "transmit", CHANNEL_REPEAT, id_channel(), envelope)
            sent = true
        end
    end
    return sent
end

function broadcast(message, protocol)
    expect(2, protocol, "string", "nil")
    send(CHANNEL_BROADCAST, message, protocol)
end

function receive(protocol_filter, timeout)
    -- Old form: receive(timeout).
    if type(protocol_filter) == "number" and timeout == nil then
        protocol_filter, timeout = nil, protocol_filter
    end
    expect(1, protocol_filter, "string", "nil")
    expect(2, timeout, "number", "nil")

    local timer, event_filter = nil, "rednet_message"
    if timeout then
        timer, event_filter = os.startTimer(timeout), nil
    end
    while true do
        local event, p1, p2, p3 = os.pullEvent(event_filter)
        if event == "rednet_message" then
            if protocol_filter == nil or p3 == protocol_filter then return p1, p2, p3 end
        elseif event == "timer" and p1 == timer then
            return nil
        end
    end
end

function host(protocol, hostname)
    expect(1, protocol, "string")
    expect(2, hostname, "string")
    if hostname == "localhost" then error("Reserved hostname", 2) end
    if hostnames[protocol] == hostname then return end
    if lookup(protocol, hostname) ~= nil then error("Hostname in use", 2) end
    hostnames[protocol] = hostname
end

function unhost(protocol)
    expect(1, protocol, "string")
    hostnames[protocol] = nil
end

-- Waits 2 s for DNS answers to a lookup broadcast. With a hostname, returns the first
-- matching responder at once; without, adds every responder to `results`.
local function collect_lookup_responses(protocol, hostname, results)
    local timer = os.startTimer(2)
    while true do
        local event, sender, message, message_protocol = os.pullEvent()
        if event == "rednet_message" then
            if message_protocol == "dns" and type(message) == "table"
                and message.sType == "lookup response" and message.sProtocol == protocol then
                if results then
                    results[#results + 1] = sender
                elseif message.sHostname == hostname then
                    return sender
                end
            end
        elseif event == "timer" and sender == timer then
            return nil
        end
    end
end

function lookup(protocol, hostname)
    expect(1, protocol, "string")
    expect(2, hostname, "string", "nil")

    local results = nil
    if hostname == nil then results = {} end

    local own_hostname = hostnames[protocol]
    if own_hostname then
        if hostname == nil then
            results[#results + 1] = os.getComputerID()
        elseif hostname == "localhost" or hostname == own_hostname then
            return os.getComputerID()
        end
    end

    if isOpen() then
        broadcast({ sType = "lookup", sProtocol = protocol, sHostname = hostname }, "dns")
        local found = collect_lookup_responses(protocol, hostname, results)
        if found then return found end
    end

    if results then return table.unpack(results) end
    return nil
end

-- Answers a DNS lookup if this computer hosts the protocol under a matching name.
local function answer_lookup(sender, message, protocol)
    if protocol ~= "dns" or type(message) ~= "table" or message.sType ~= "lookup" then return end
    local own_hostname = hostnames[message.sProtocol]
    if own_hostname == nil then return end
    if message.sHostname ~= nil and message.sHostname ~= own_hostname then return end
    send(sender, {
        sType = "lookup response",
        sHostname = own_hostname,
        sProtocol = message.sProtocol,
    }, "dns")
end

-- True if a modem_message is a rednet envelope for this computer that has not been seen.
local function is_new_envelope(side, channel, message)
    local own_id = os.getComputerID()
    if channel ~= own_id % MAX_ID_CHANNELS and channel ~= CHANNEL_BROADCAST then return false end
    if type(message) ~= "table" or not is_number(message.nMessageID) then return false end
    if received_messages[message.nMessageID] then return false end
    if message.nSender ~= nil and not is_number(message.nSender) then return false end
    if not ((message.nRecipient and message.nRecipient == own_id)
        or channel == CHANNEL_BROADCAST) then
        return false
    end
    return isOpen(side)
end

--- The background half of rednet: turns modem messages into rednet_message events,
-- answers DNS lookups and forgets old message IDs. Runs forever beside the shell.
function run()
    if running then error("rednet is already running", 2) end
    running = true

    while true do
        -- Looked up through the environment every time: RedRun swaps `os` in it.
        local event, p1, p2, p3, p4 = os.pullEventRaw()

        if event == "modem_message" then
            local side, channel, reply_channel, message = p1, p2, p3, p4
            if is_new_envelope(side, channel, message) then
                received_messages[message.nMessageID] = os.clock() + DEDUPE_SECONDS
                if not prune_received_timer then
                    prune_received_timer = os.startTimer(PRUNE_INTERVAL)
                end
                os.queueEvent("rednet_message", message.nSender or reply_channel,
                    message.message, message.sProtocol)
            end

        elseif event == "rednet_message" then
            answer_lookup(p1, p2, p3)

        elseif event == "timer" and p1 == prune_received_timer then
            local now = os.clock()
            for message_id, deadline in pairs(received_messages) do
                if deadline <= now then received_messages[message_id] = nil end
            end
            if next(received_messages) == nil then
                prune_received_timer = nil
            else
                prune_received_timer = os.startTimer(PRUNE_INTERVAL)
            end
        end
    end
end
