-- rednet (rom/apis/rednet.lua), the repeat program (rom/programs/rednet/repeat.lua) and the
-- remote-name half of rom/apis/peripheral.lua, run in fake computers (support/fake_world.lua).
local spec = require "spec"
local fake_world = require "fake_world"

local expect = spec.expect

-- Two computers whose modems hear each other, both running rednet.run.
local function two_computers(id_a, id_b)
    local world = fake_world.new()
    local a = world:add_computer(id_a or 1, { 0, 0, 0 })
    local b = world:add_computer(id_b or 2, { 3, 4, 0 })
    local modem_a, modem_b = a:add_modem("top"), b:add_modem("left")
    world:connect(modem_a, modem_b)
    a:start_rednet()
    b:start_rednet()
    return world, a, b, modem_a, modem_b
end

-- Starts rednet.receive(...) on `computer`; the returned table fills in when it returns.
local function receive_on(computer, ...)
    local result = {}
    computer:spawn(function(env, ...)
        local r = table.pack(env.rednet.receive(...))
        for i = 1, r.n do result[i] = r[i] end
        result.n = r.n
        result.done = true
    end, ...)
    return result
end

-- Counts the rednet_message events `computer` sees, keeping the last one.
local function count_messages(computer)
    local seen = { count = 0 }
    computer:spawn(function(env)
        while true do
            local _, sender, message, protocol = env.os.pullEvent("rednet_message")
            seen.count = seen.count + 1
            seen.last = { sender, message, protocol }
        end
    end)
    return seen
end

-- Runs `fn(env)` on `computer` and returns what it returned (after the world settles).
local function run_on(world, computer, fn, seconds)
    local result = {}
    computer:spawn(function(env)
        local r = table.pack(pcall(fn, env))
        result.ok, result.n = r[1], r.n - 1
        for i = 2, r.n do result[i - 1] = r[i] end
        result.done = true
    end)
    world:advance(seconds or 0)
    return result
end

local function start_repeater(world, id, modems)
    local computer = world:add_computer(id, { 0, 0, 0 })
    local attached = {}
    for i, side in ipairs(modems) do attached[i] = computer:add_modem(side) end
    computer:load_api("rom/apis/rednet.lua")
    computer:run_program("rom/programs/rednet/repeat.lua")
    return computer, attached
end

spec.describe("rednet", function()
    spec.describe("constants", function()
        spec.it("has CC's channel numbers", function()
            local _, a = two_computers()
            local rednet = a.env.rednet
            expect(rednet.CHANNEL_BROADCAST):eq(65535)
            expect(rednet.CHANNEL_REPEAT):eq(65533)
            expect(rednet.MAX_ID_CHANNELS):eq(65500)
        end)
    end)

    spec.describe("open, close and isOpen", function()
        spec.it("open the ID channel (id % 65500) and broadcast channel on two sides", function()
            local world = fake_world.new()
            local c = world:add_computer(65501)
            local top, left = c:add_modem("top"), c:add_modem("left")
            local rednet = c:start_rednet()

            rednet.open("top")
            expect(top:open_channels()):same({ 1, 65535 })
            expect(rednet.isOpen("top")):eq(true)
            expect(rednet.isOpen("left")):eq(false)
            expect(rednet.isOpen()):eq(true)

            rednet.open("left")
            expect(left:open_channels()):same({ 1, 65535 })
            rednet.close("top")
            expect(top:open_channels()):same({})
            expect(rednet.isOpen("top")):eq(false)
            expect(rednet.isOpen("left")):eq(true)

            rednet.open("top")
            rednet.close()
            expect(top:open_channels()):same({})
            expect(left:open_channels()):same({})
            expect(rednet.isOpen()):eq(false)
        end)

        spec.it("isOpen needs both channels open", function()
            local world = fake_world.new()
            local c = world:add_computer(4)
            local top = c:add_modem("top")
            local rednet = c:start_rednet()
            top.methods.open(4)
            expect(rednet.isOpen("top")):eq(false)
            top.methods.open(65535)
            expect(rednet.isOpen("top")):eq(true)
            expect(rednet.isOpen("bottom")):eq(false)
        end)

        spec.it("raise No such modem for a name that is not a modem", function()
            local _, a = two_computers()
            expect.error(a.env.rednet.open, "bottom"):eq("No such modem: bottom")
            expect.error(a.env.rednet.close, "bottom"):eq("No such modem: bottom")
        end)

        spec.it("check argument types", function()
            local _, a = two_computers()
            expect.error(a.env.rednet.open, nil):eq("bad argument #1 (string expected, got nil)")
            expect.error(a.env.rednet.send, "2", "x")
                :eq("bad argument #1 (number expected, got string)")
            expect.error(a.env.rednet.send, 2, "x", 5)
                :eq("bad argument #3 (string or nil expected, got number)")
        end)
    end)

    spec.describe("send and receive", function()
        spec.it("delivers a message with its protocol", function()
            local world, a, b = two_computers()
            a.env.rednet.open("top")
            b.env.rednet.open("left")
            local got = receive_on(b)
            expect(a.env.rednet.send(2, { text = "hello" }, "chat")):eq(true)
            world:run()
            expect(got.done):eq(true)
            expect({ got[1], got[2], got[3] }):same({ 1, { text = "hello" }, "chat" })
        end)

        spec.it("transmits the envelope on the recipient channel and on 65533", function()
            local world, a, _, modem_a = two_computers(1, 65502)
            a.env.rednet.open("top")
            a.env.rednet.send(65502, "hi", "p")
            world:run()
            local sent = modem_a.transmitted
            expect(#sent):eq(2)
            expect({ sent[1][1], sent[1][2] }):same({ 2, 1 })
            expect({ sent[2][1], sent[2][2] }):same({ 65533, 1 })
            local envelope = sent[1][3]
            expect(rawequal(envelope, sent[2][3])):eq(true)
            expect(envelope.nMessageID):type("number")
            expect(envelope):same({
                nMessageID = envelope.nMessageID, nRecipient = 65502, nSender = 1,
                message = "hi", sProtocol = "p",
            })
        end)

        spec.it("returns false when no modem is open", function()
            local world, a = two_computers()
            expect(a.env.rednet.send(2, "x")):eq(false)
            world:run()
        end)

        spec.it("loops a message to its own ID back without transmitting", function()
            local world, a, _, modem_a = two_computers()
            a.env.rednet.open("top")
            local got = receive_on(a)
            expect(a.env.rednet.send(1, "self", "p")):eq(true)
            world:run()
            expect(#modem_a.transmitted):eq(0)
            expect({ got[1], got[2], got[3] }):same({ 1, "self", "p" })
        end)

        spec.it("broadcasts to every listening computer", function()
            local world = fake_world.new()
            local computers, modems = {}, {}
            for i = 1, 3 do
                computers[i] = world:add_computer(i, { i, 0, 0 })
                modems[i] = computers[i]:add_modem("back")
                computers[i]:start_rednet()
                computers[i].env.rednet.open("back")
            end
            world:connect(modems[1], modems[2], modems[3])
            local got2, got3 = receive_on(computers[2]), receive_on(computers[3])
            expect(computers[1].env.rednet.broadcast("all", "news")):eq(nil)
            world:run()
            expect({ got2[1], got2[2], got2[3] }):same({ 1, "all", "news" })
            expect({ got3[1], got3[2], got3[3] }):same({ 1, "all", "news" })
            expect(modems[1].transmitted[1][3].nRecipient):eq(65535)
        end)

        spec.it("ignores envelopes addressed to another ID on the same channel", function()
            local world, a, b = two_computers(1, 2)
            a.env.rednet.open("top")
            b.env.rednet.open("left")
            local seen = count_messages(b)
            a.env.rednet.send(65502, "not for 2")
            world:run()
            expect(seen.count):eq(0)
        end)

        spec.it("ignores messages arriving on a modem where rednet is not open", function()
            local world, a, b, _, modem_b = two_computers()
            a.env.rednet.open("top")
            modem_b.methods.open(2) -- the ID channel only, not the broadcast channel
            local seen = count_messages(b)
            a.env.rednet.send(2, "x")
            world:run()
            expect(seen.count):eq(0)
        end)

        spec.it("filters by protocol and dropping others", function()
            local world, a, b = two_computers()
            a.env.rednet.open("top")
            b.env.rednet.open("left")
            local got = receive_on(b, "wanted")
            a.env.rednet.send(2, "first", "other")
            a.env.rednet.send(2, "second", "wanted")
            world:run()
            expect({ got[1], got[2], got[3] }):same({ 1, "second", "wanted" })
        end)

        spec.it("times out with nil, also in the old receive(timeout) form", function()
            local world, _, b = two_computers()
            b.env.rednet.open("left")
            local with_filter = receive_on(b, "p", 1)
            local old_form = receive_on(b, 2)
            world:advance(0.5)
            expect(with_filter.done):eq(nil)
            world:advance(1)
            expect(with_filter.done):eq(true)
            expect(with_filter.n):eq(1)
            expect(with_filter[1]):eq(nil)
            expect(old_form.done):eq(nil)
            world:advance(1)
            expect(old_form.done):eq(true)
        end)

        spec.it("reads os.getComputerID every time", function()
            local world, a, b = two_computers()
            a.env.os.getComputerID = function() return 7 end
            a.env.rednet.open("top")
            b.env.rednet.open("left")
            local got = receive_on(b)
            a.env.rednet.send(2, "as seven")
            world:run()
            expect({ got[1], got[2] }):same({ 7, "as seven" })
            expect(a.peripherals.top:open_channels()):same({ 7, 65535 })
        end)
    end)

    spec.describe("run", function()
        spec.it("refuses to run twice", function()
            local world, a = two_computers()
            local result = run_on(world, a, function(env) return env.rednet.run() end)
            expect(result.ok):eq(false)
            expect(result[1]):eq("rednet is already running")
        end)

        spec.it("has the upvalues received_messages and prune_received_timer", function()
            local _, a = two_computers()
            local messages, has_messages = fake_world.get_upvalue(a.env.rednet.run,
                "received_messages")
            local timer, has_timer = fake_world.get_upvalue(a.env.rednet.run,
                "prune_received_timer")
            expect(has_messages):eq(true)
            expect(messages):same({})
            expect(has_timer):eq(true)
            expect(timer):eq(nil)
        end)

        spec.it("looks os.pullEventRaw up through its environment on every iteration", function()
            local world, a = two_computers()
            local api_env = a.apis.rednet.env
            expect(fake_world.get_upvalue(a.env.rednet.run, "_ENV")):eq(api_env)

            local real_os, hooked = a.env.os, 0
            api_env.os = setmetatable({
                pullEventRaw = function(...)
                    hooked = hooked + 1
                    return real_os.pullEventRaw(...)
                end,
            }, { __index = real_os })
            a:queue("first")
            world:run()
            expect(hooked):eq(1)
            a:queue("second")
            a:queue("third")
            world:run()
            expect(hooked):eq(3)
        end)

        spec.it("ignores terminate", function()
            local world, a, b = two_computers()
            a.env.rednet.open("top")
            b.env.rednet.open("left")
            b:queue("terminate")
            world:run()
            local got = receive_on(b)
            a.env.rednet.send(2, "still running")
            world:run()
            expect(got[2]):eq("still running")
        end)
    end)

    spec.describe("repeaters", function()
        spec.it("relay between computers with IDs above 65500", function()
            local world = fake_world.new()
            local sender = world:add_computer(24283947, { 0, 0, 0 })
            local target = world:add_computer(93428798, { 100, 0, 0 })
            local repeater, modems = start_repeater(world, 3, { "top" })
            local sender_modem, target_modem = sender:add_modem("top"), target:add_modem("top")
            world:connect(sender_modem, modems[1])
            world:connect(modems[1], target_modem)
            sender:start_rednet()
            target:start_rednet()
            sender.env.rednet.open("top")
            target.env.rednet.open("top")
            expect(target_modem:open_channels()):same({ 93428798 % 65500, 65535 })

            local got = receive_on(target)
            expect(sender.env.rednet.send(93428798, "over the hill", "p")):eq(true)
            world:run()
            expect({ got[1], got[2], got[3] }):same({ 24283947, "over the hill", "p" })
            expect(repeater:output()):same({ "1 modem found.", "1 message repeated." })
            expect(modems[1]:open_channels()):same({ 65533 })
        end)

        spec.it("deliver once through two repeaters and forget IDs 10 s later", function()
            local world = fake_world.new()
            local sender = world:add_computer(24283947, { 0, 0, 0 })
            local target = world:add_computer(93428798, { 100, 0, 0 })
            local _, modems1 = start_repeater(world, 3, { "left" })
            local _, modems2 = start_repeater(world, 4, { "left" })
            local sender_modem, target_modem = sender:add_modem("top"), target:add_modem("top")
            world:connect(sender_modem, modems1[1], modems2[1])
            world:connect(modems1[1], modems2[1], target_modem)
            sender:start_rednet()
            target:start_rednet()
            sender.env.rednet.open("top")
            target.env.rednet.open("top")

            local seen = count_messages(target)
            local seen_by_sender = count_messages(sender)
            sender.env.rednet.send(93428798, "once")
            world:advance(1)
            expect(seen.count):eq(1)
            expect(seen.last):same({ 24283947, "once" })
            expect(seen_by_sender.count):eq(0)

            world:advance(10)
            for _, computer in ipairs({ sender, target }) do
                local run = computer.env.rednet.run
                expect(fake_world.get_upvalue(run, "received_messages")):same({})
                expect(fake_world.get_upvalue(run, "prune_received_timer")):eq(nil)
            end
        end)

        spec.it("report No modems found. without modems", function()
            local world = fake_world.new()
            local repeater = start_repeater(world, 3, {})
            world:run()
            expect(repeater:output()):same({ "No modems found." })
            expect(repeater:is_running()):eq(false)
        end)

        spec.it("open only 65533 on every modem and close it when terminated", function()
            local world = fake_world.new()
            local repeater, modems = start_repeater(world, 3, { "top", "left" })
            expect(repeater:output()):same({ "2 modems found.", "0 messages repeated." })
            expect(modems[1]:open_channels()):same({ 65533 })
            expect(modems[2]:open_channels()):same({ 65533 })
            repeater:queue("terminate")
            world:run()
            expect(repeater.printed_errors):same({ "Terminated" })
            expect(modems[1]:open_channels()):same({})
            expect(modems[2]:open_channels()):same({})
            expect(repeater:is_running()):eq(false)
        end)
    end)

    spec.describe("host and lookup", function()
        spec.it("refuses the reserved hostname", function()
            local _, a = two_computers()
            expect.error(a.env.rednet.host, "chat", "localhost"):eq("Reserved hostname")
        end)

        spec.it("answers locally without a modem", function()
            local world, a = two_computers()
            local rednet = a.env.rednet
            local result = run_on(world, a, function()
                rednet.host("chat", "me")
                return rednet.lookup("chat", "localhost"), rednet.lookup("chat", "me"),
                    rednet.lookup("chat"), rednet.lookup("other")
            end)
            expect(result.ok):eq(true)
            expect({ result[1], result[2], result[3], result[4] }):same({ 1, 1, 1, nil })
        end)

        spec.it("finds a host across a repeater", function()
            local world = fake_world.new()
            local client = world:add_computer(24283947, { 0, 0, 0 })
            local server = world:add_computer(93428798, { 100, 0, 0 })
            local _, modems = start_repeater(world, 3, { "top" })
            local client_modem, server_modem = client:add_modem("top"), server:add_modem("top")
            world:connect(client_modem, modems[1])
            world:connect(modems[1], server_modem)
            client:start_rednet()
            server:start_rednet()
            client.env.rednet.open("top")
            server.env.rednet.open("top")

            local hosted = run_on(world, server, function(env)
                env.rednet.host("chat", "alice")
            end, 2.5)
            expect(hosted.ok):eq(true)

            local named = run_on(world, client, function(env)
                return env.rednet.lookup("chat", "alice")
            end)
            expect(named.done):eq(true) -- answered before the 2 s are up
            expect(named[1]):eq(93428798)

            local all = run_on(world, client, function(env)
                return env.rednet.lookup("chat")
            end, 2.5)
            expect({ all.n, all[1] }):same({ 1, 93428798 })

            local missing = run_on(world, client, function(env)
                return env.rednet.lookup("chat", "bob")
            end, 2.5)
            expect({ missing.ok, missing.n, missing[1] }):same({ true, 1, nil })

            local taken = run_on(world, client, function(env)
                return env.rednet.host("chat", "alice")
            end, 2.5)
            expect(taken.ok):eq(false)
            expect(taken[1]):eq("Hostname in use")

            local after_unhost = run_on(world, server, function(env)
                env.rednet.unhost("chat")
            end)
            expect(after_unhost.ok):eq(true)
            local gone = run_on(world, client, function(env)
                return env.rednet.lookup("chat", "alice")
            end, 2.5)
            expect(gone[1]):eq(nil)
        end)
    end)
end)

-- The API bios loaded into this computer, with rednet.run running beside the shell.
spec.describe("the booted rednet API", function()
    if not (rednet and getfenv and sleep) then
        spec.pending("needs redrund's bios")
        return
    end

    spec.it("runs in a private environment and is already running", function()
        -- The shell side starts first; yield once so bios's rednet.run has begun.
        sleep(0)
        local env = getfenv(rednet.run)
        expect(env == _G):eq(false)
        expect(env.CHANNEL_REPEAT):eq(65533)
        expect.error(rednet.run):eq("rednet is already running")
    end)

    spec.it("loops back to itself and forgets the message ID after 10 s", function()
        expect(rednet.send(os.getComputerID(), "to me", "self")):eq(true)
        local sender, message, protocol = rednet.receive("self", 1)
        expect({ sender, message, protocol }):same({ os.getComputerID(), "to me", "self" })
        local received = fake_world.get_upvalue(rednet.run, "received_messages")
        expect(next(received) ~= nil):eq(true)
        sleep(10)
        expect(fake_world.get_upvalue(rednet.run, "received_messages")):same({})
        expect(fake_world.get_upvalue(rednet.run, "prune_received_timer")):eq(nil)
    end)
end)

spec.describe("peripheral (rom/apis/peripheral.lua)", function()
    -- Computer 1: a wireless modem on top, a wired hub on back exposing modem_1 and a
    -- printer; computer 2 is reached only through modem_1.
    local function wired_world()
        local world = fake_world.new()
        local a = world:add_computer(1, { 0, 0, 0 }, { rom_peripheral = true })
        local b = world:add_computer(2, { 0, 0, 9 }, { rom_peripheral = true })
        a:add_modem("top")
        local remote = a:remote_modem()
        local printer = {
            types = { "printer" },
            methods = { getPaperLevel = function() return 64 end },
        }
        a:add_hub("back", {
            { name = "modem_1", device = remote },
            { name = "printer_0", device = printer },
        })
        local modem_b = b:add_modem("bottom", { wired = true })
        world:connect(remote, modem_b)
        a:start_rednet()
        b:start_rednet()
        return world, a, b, remote
    end

    spec.it("lists remote names after their hub's side", function()
        local _, a = wired_world()
        expect(a.env.peripheral.getNames()):same({ "top", "back", "modem_1", "printer_0" })
    end)

    spec.it("resolves remote names", function()
        local _, a = wired_world()
        local peripheral = a.env.peripheral
        expect(peripheral.isPresent("modem_1")):eq(true)
        expect(peripheral.isPresent("nothing")):eq(false)
        expect(peripheral.getType("printer_0")):eq("printer")
        expect({ peripheral.getType("back") }):same({ "modem", "peripheral_hub" })
        expect(peripheral.hasType("back", "peripheral_hub")):eq(true)
        expect(peripheral.hasType("printer_0", "modem")):eq(false)
        expect(peripheral.hasType("nothing", "modem")):eq(nil)
        expect(peripheral.getMethods("printer_0")):same({ "getPaperLevel" })
        expect(peripheral.call("printer_0", "getPaperLevel")):eq(64)
        expect(peripheral.call("nothing", "x")):eq(nil)
    end)

    spec.it("wraps, names and finds peripherals", function()
        local _, a = wired_world()
        local peripheral = a.env.peripheral
        local printer = peripheral.wrap("printer_0")
        expect(printer.getPaperLevel()):eq(64)
        expect(getmetatable(printer)):same({
            __name = "peripheral", name = "printer_0", type = "printer",
            types = { "printer", printer = true },
        })
        expect(peripheral.getName(printer)):eq("printer_0")
        expect(peripheral.getType(printer)):eq("printer")
        expect(peripheral.hasType(printer, "printer")):eq(true)
        expect(peripheral.wrap("nothing")):eq(nil)
        expect.error(peripheral.getName, {}):eq("bad argument #1 (table is not a peripheral)")

        local modems = { peripheral.find("modem") }
        expect(#modems):eq(3)
        expect(peripheral.getName(modems[3])):eq("modem_1")
        local wireless = { peripheral.find("modem", function(_, m) return m.isWireless() end) }
        expect(#wireless):eq(1)
        expect(peripheral.getName(wireless[1])):eq("top")
    end)

    spec.it("lets rednet use a remote modem", function()
        local world, a, b, remote = wired_world()
        a.env.rednet.open("modem_1")
        b.env.rednet.open("bottom")
        expect(remote:open_channels()):same({ 1, 65535 })
        expect(a.env.rednet.isOpen("modem_1")):eq(true)

        local got_b, got_a = receive_on(b), receive_on(a)
        a.env.rednet.send(2, "down the cable")
        world:run()
        expect({ got_b[1], got_b[2] }):same({ 1, "down the cable" })
        b.env.rednet.send(1, "and back")
        world:run()
        expect({ got_a[1], got_a[2] }):same({ 2, "and back" })

        a.env.rednet.close()
        expect(remote:open_channels()):same({})
    end)
end)

spec.finish()
