-- gps (rom/apis/gps.lua) and the gps program (rom/programs/gps.lua), run in fake computers
-- (support/fake_world.lua) whose modems report the real distances between them.
local spec = require "spec"
local fake_world = require "fake_world"

local expect = spec.expect

local HOSTS = { { 5, 5, 5 }, { 10, 5, 5 }, { 5, 10, 5 }, { 5, 5, 10 } }
local TARGET = { 12, 23, 52 }

local function load_gps(computer)
    computer:load_api("rom/apis/vector.lua")
    computer:load_api("rom/apis/gps.lua")
end

-- A world with a GPS host (running `gps host x y z`) at each position, every modem hearing
-- every other. Returns the world, a list of modems to connect more to, and the hosts.
local function gps_world(positions)
    local world = fake_world.new()
    local modems, hosts = {}, {}
    for i, pos in ipairs(positions) do
        local host = world:add_computer(100 + i, pos)
        load_gps(host)
        modems[i] = host:add_modem("top")
        hosts[i] = host
    end
    world:connect(table.unpack(modems))
    for i, pos in ipairs(positions) do
        hosts[i]:run_program("rom/programs/gps.lua", "host",
            tostring(pos[1]), tostring(pos[2]), tostring(pos[3]))
    end
    world:run()
    return world, modems, hosts
end

local function add_locator(world, modems, position, side)
    local locator = world:add_computer(1, position)
    load_gps(locator)
    local modem = locator:add_modem(side or "top")
    world:connect(modem, table.unpack(modems))
    return locator, modem
end

-- Calls gps.locate(...) on `computer`, lets 3 s pass and returns its results (with n).
local function locate(world, computer, ...)
    local result = {}
    computer:spawn(function(env, ...)
        local r = table.pack(env.gps.locate(...))
        for i = 1, r.n do result[i] = r[i] end
        result.n = r.n
    end, ...)
    world:advance(3)
    return result
end

spec.describe("gps.locate", function()
    spec.it("has CHANNEL_GPS 65534", function()
        local world = fake_world.new()
        local c = world:add_computer(1)
        load_gps(c)
        expect(c.env.gps.CHANNEL_GPS):eq(65534)
    end)

    spec.it("finds the exact position from four hosts", function()
        local world, modems = gps_world(HOSTS)
        local locator = add_locator(world, modems, TARGET)
        local result = locate(world, locator)
        expect(result.n):eq(3)
        expect({ result[1], result[2], result[3] }):same(TARGET)
    end)

    spec.it("prints its progress when debugging", function()
        local world, modems = gps_world(HOSTS)
        local locator = add_locator(world, modems, TARGET)
        locate(world, locator, 2, true)
        local lines = locator:output()
        expect(#lines):eq(6)
        expect(lines[1]):eq("Finding position...")
        local d = math.sqrt(7 * 7 + 18 * 18 + 47 * 47)
        expect(lines[2]):eq(d .. " metres from 5,5,5")
        expect(lines[6]):eq("Position is 12,23,52")
    end)

    spec.it("gives nil for three hosts, which leave two mirror images", function()
        local world, modems = gps_world({ HOSTS[1], HOSTS[2], HOSTS[3] })
        local locator = add_locator(world, modems, TARGET)
        local result = locate(world, locator, 2, true)
        expect(result[1]):eq(nil)
        local lines = locator:output()
        expect(lines[#lines - 1]):eq("Ambiguous position")
        expect(lines[#lines]):eq("Could be 12,23,52 or 12,23,-42")
    end)

    spec.it("still finds the position when a host is duplicated", function()
        local world, modems = gps_world({ HOSTS[1], HOSTS[2], HOSTS[1], HOSTS[3], HOSTS[4] })
        local locator = add_locator(world, modems, TARGET)
        local result = locate(world, locator)
        expect({ result[1], result[2], result[3] }):same(TARGET)
    end)

    spec.it("gives nil for hosts on one line", function()
        local world, modems = gps_world({ { 0, 0, 0 }, { 1, 0, 0 }, { 2, 0, 0 }, { 3, 0, 0 } })
        local locator = add_locator(world, modems, TARGET)
        local result = locate(world, locator, 2, true)
        expect(result[1]):eq(nil)
        local lines = locator:output()
        expect(lines[#lines]):eq("Could not determine position")
    end)

    spec.it("takes the position of a host at distance 0", function()
        local world, modems = gps_world(HOSTS)
        local locator = add_locator(world, modems, { 10, 5, 5 })
        local result = locate(world, locator)
        expect({ result[1], result[2], result[3] }):same({ 10, 5, 5 })
    end)

    spec.it("gives nil without a wireless modem", function()
        local world = fake_world.new()
        local locator = world:add_computer(1, TARGET)
        load_gps(locator)
        locator:add_modem("top", { wired = true })
        local result = locate(world, locator, 2, true)
        expect(result[1]):eq(nil)
        expect(locator:output()):same({ "No wireless modem attached" })
    end)

    spec.it("uses the first wireless modem in side order and restores its channel", function()
        local world, modems = gps_world(HOSTS)
        local locator, top = add_locator(world, modems, TARGET, "top")
        local left = locator:add_modem("left")
        world:connect(left, table.unpack(modems))
        locator:add_modem("bottom", { wired = true })
        local result = locate(world, locator)
        expect(result[3]):eq(52)
        expect(#top.transmitted):eq(1)
        expect(top.transmitted[1]):same({ 65534, 65534, "PING" })
        expect(#left.transmitted):eq(0)
        expect(top:open_channels()):same({})

        top.methods.open(65534)
        locate(world, locator)
        expect(top:open_channels()):same({ 65534 })
    end)

    spec.it("ignores replies that are not fixes", function()
        local world = fake_world.new()
        local locator = world:add_computer(1, TARGET)
        load_gps(locator)
        local modem = locator:add_modem("top")
        local result = {}
        locator:spawn(function(env) result = { env.gps.locate(1) } end)
        for _, bad in ipairs({ { 1, 2 }, { 1, 2, "x" }, "PONG", { 1, 2, 3, 4 } }) do
            locator:queue("modem_message", "top", 65534, 65534, bad, 5)
        end
        locator:queue("modem_message", "top", 65534, 65534, { 1, 2, 3 }, nil)
        locator:queue("modem_message", "left", 65534, 65534, { 1, 2, 3 }, 0)
        locator:queue("modem_message", "top", 65534, 1, { 1, 2, 3 }, 0)
        world:advance(2)
        expect(result):same({})
        expect(#modem.transmitted):eq(1)
    end)

    spec.it("returns commands.getBlockPosition() on a command computer", function()
        local world = fake_world.new()
        local locator = world:add_computer(1)
        load_gps(locator)
        locator.env.commands = { getBlockPosition = function() return 1, 2, 3 end }
        expect({ locator.env.gps.locate() }):same({ 1, 2, 3 })
    end)

    spec.it("checks its arguments", function()
        local world = fake_world.new()
        local locator = world:add_computer(1)
        load_gps(locator)
        expect.error(locator.env.gps.locate, "2")
            :eq("bad argument #1 (number or nil expected, got string)")
        expect.error(locator.env.gps.locate, 2, 1)
            :eq("bad argument #2 (boolean or nil expected, got number)")
    end)
end)

spec.describe("the gps program", function()
    spec.it("prints its usage", function()
        local world = fake_world.new()
        local c = world:add_computer(1)
        load_gps(c)
        for _, args in ipairs({ {}, { "frobnicate" }, { "host", "1", "x", "3" } }) do
            c.term.lines, c.term.x, c.term.y = {}, 1, 1
            c:add_modem("top")
            c:run_program("rom/programs/gps.lua", table.unpack(args))
            world:run()
            expect(c:output()):same({ "Usages:", "gps host", "gps host <x> <y> <z>", "gps locate" })
        end
    end)

    spec.it("refuses to host on a pocket computer or without a wireless modem", function()
        local world = fake_world.new()
        local pocket = world:add_computer(1)
        load_gps(pocket)
        pocket.env.pocket = {}
        pocket:run_program("rom/programs/gps.lua", "host", "1", "2", "3")
        expect(pocket:output()):same({ "GPS Hosts must be stationary" })

        local bare = world:add_computer(2)
        load_gps(bare)
        bare:add_modem("back", { wired = true })
        bare:run_program("rom/programs/gps.lua", "host", "1", "2", "3")
        expect(bare:output()):same({ "No wireless modems found. 1 required." })
    end)

    spec.it("serves its position and counts requests on one line", function()
        local world, modems, hosts = gps_world(HOSTS)
        local locator = add_locator(world, modems, TARGET)
        for _ = 1, 3 do locate(world, locator) end
        expect(hosts[1]:output()):same({
            "Position is 5,5,5",
            "Opening channel on modem top",
            "3 GPS requests served",
        })
        expect(hosts[1]:is_running()):eq(true)
    end)

    spec.it("answers only PING with a distance, on the request's reply channel", function()
        local world, modems, hosts = gps_world({ HOSTS[1] })
        local host_modem = modems[1]
        hosts[1]:queue("modem_message", "top", 65534, 77, "PING", 3)
        hosts[1]:queue("modem_message", "top", 65534, 77, "PING", nil)
        hosts[1]:queue("modem_message", "top", 65534, 77, "ping", 3)
        world:run()
        expect(host_modem.transmitted):same({ { 77, 65534, { 5, 5, 5 } } })
    end)

    spec.it("hosts at a located position when given no coordinates", function()
        local world, modems = gps_world(HOSTS)
        local new_host = add_locator(world, modems, TARGET)
        new_host:run_program("rom/programs/gps.lua", "host")
        world:advance(3)
        local lines = new_host:output()
        expect(lines[#lines - 1]):eq("Position is 12,23,52")
        expect(lines[#lines]):eq("Opening channel on modem top")

        local modem = new_host.peripherals.top
        new_host:queue("modem_message", "top", 65534, 65534, "PING", 1)
        world:run()
        expect(modem.transmitted[#modem.transmitted]):same({ 65534, 65534, { 12, 23, 52 } })
    end)

    spec.it("tells how to set the position when it cannot be located", function()
        local world = fake_world.new()
        local c = world:add_computer(1, TARGET)
        load_gps(c)
        c:add_modem("top")
        c:run_program("rom/programs/gps.lua", "host")
        world:advance(3)
        local lines = c:output()
        expect(lines[#lines]):eq("Run \"gps host <x> <y> <z>\" to set position manually")
        expect(c:is_running()):eq(false)
    end)

    spec.it("locates", function()
        local world, modems = gps_world(HOSTS)
        local locator = add_locator(world, modems, TARGET)
        locator:run_program("rom/programs/gps.lua", "locate")
        world:advance(3)
        local lines = locator:output()
        expect(lines[1]):eq("Finding position...")
        expect(lines[#lines]):eq("Position is 12,23,52")
    end)
end)

spec.finish()
