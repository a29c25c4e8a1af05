-- redrun.transfer on one computer: CRC-32, and whole sessions over rednet's loopback (a
-- computer sending to its own id gets the message as an event, no modem needed), with the
-- server as a RedRun task. Loss, repeaters and interruption run on real worlds in
-- tests/unit/tasks/transfer_test.cpp.
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

local transfer = require "redrun.transfer"
local redrun = require "redrun"

local function write(path, data)
    local f = fs.open(path, "wb")
    f.write(data)
    f.close()
end

local function read(path)
    local f = fs.open(path, "rb")
    if not f then return nil end
    local data = f.readAll()
    f.close()
    return data
end

-- Every byte value, in a pattern that does not repeat every 256 bytes.
local function all_bytes(n)
    local parts = {}
    for i = 0, n - 1 do parts[#parts + 1] = string.char((i * 7 + i // 256) & 0xFF) end
    return table.concat(parts)
end

describe("crc32", function()
    it("matches the standard check values", function()
        expect(transfer.crc32("")):eq(0)
        expect(transfer.crc32("123456789")):eq(0xCBF43926)
        expect(transfer.crc32("The quick brown fox jumps over the lazy dog")):eq(0x414FA339)
        local bytes = {}
        for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
        expect(transfer.crc32(table.concat(bytes))):eq(0x29058C73)
    end)
    it("continues over pieces, and reads files in binary", function()
        expect(transfer.crc32("6789", transfer.crc32("12345"))):eq(0xCBF43926)
        local data = all_bytes(20000)
        write("/crc.bin", data)
        local crc, size = transfer.crc_file("/crc.bin")
        expect(size):eq(20000)
        expect(crc):eq(transfer.crc32(data))
        expect(transfer.crc_file("/missing")):eq(nil)
    end)
end)

local me = os.getComputerID()
local data = all_bytes(50000)
write("/data.bin", data)
fs.makeDir("/srv")
local log = {}
local function start_server()
    return redrun.supervise({
        name = "transfer", fn = function() transfer.serve("srv", { log = function(line) log[#log + 1] = line end }) end,
    })
end
local server = start_server()
sleep(0.1)

describe("loopback sessions", function()
    it("pushes a binary file into the served directory", function()
        local ok, err, info = transfer.send(me, "/data.bin", "sub/data.bin")
        expect(err):eq(nil)
        expect(ok):eq(true)
        expect({ info.size, info.offset }):same({ 50000, 0 })
        expect(read("/srv/sub/data.bin") == data):eq(true)
        expect(fs.exists("/srv/sub/data.bin.part")):eq(false)
        expect(fs.exists("/srv/sub/data.bin.part.meta")):eq(false)
        expect(log[#log]):matches("^ok received srv/sub/data.bin")
    end)
    it("fetches it back", function()
        local ok, err = transfer.fetch(me, "sub/data.bin", "/back.bin")
        expect(err):eq(nil)
        expect(ok):eq(true)
        expect(read("/back.bin") == data):eq(true)
        expect(fs.exists("/back.bin.part")):eq(false)
    end)
    it("sends an empty file", function()
        write("/empty.bin", "")
        expect(transfer.send(me, "/empty.bin", "empty.bin")):eq(true)
        expect(read("/srv/empty.bin")):eq("")
    end)
    it("refuses names outside the directory, temporary names and missing files", function()
        expect(select(2, transfer.send(me, "/data.bin", "../escape.bin"))):eq("Bad file name")
        expect(select(2, transfer.send(me, "/data.bin", "x.part"))):eq("Bad file name")
        expect(select(2, transfer.fetch(me, "nothing.bin", "/nothing.bin"))):eq("No such file")
        expect(fs.exists("/escape.bin")):eq(false)
        expect(fs.exists("/nothing.bin")):eq(false)
        expect(fs.exists("/nothing.bin.part")):eq(false)
    end)
    it("resumes from a matching .part and its meta", function()
        write("/srv/resumed.bin.part", data:sub(1, 20000)) -- 2 whole chunks and a bit
        local meta = fs.open("/srv/resumed.bin.part.meta", "w")
        meta.write(textutils.serialize({ size = #data, crc = transfer.crc32(data), chunk = 8192, received = 20000 }))
        meta.close()
        local ok, err, info = transfer.send(me, "/data.bin", "resumed.bin")
        expect(err):eq(nil)
        expect(ok):eq(true)
        expect(info.offset):eq(16384)
        expect(read("/srv/resumed.bin") == data):eq(true)
        expect(fs.exists("/srv/resumed.bin.part.meta")):eq(false)
    end)
    it("starts over when the .part belongs to another file", function()
        write("/srv/other.bin.part", "stale")
        local meta = fs.open("/srv/other.bin.part.meta", "w")
        meta.write(textutils.serialize({ size = 5, crc = 1, chunk = 8192, received = 5 }))
        meta.close()
        local ok, _, info = transfer.send(me, "/data.bin", "other.bin")
        expect(ok):eq(true)
        expect(info.offset):eq(0)
        expect(read("/srv/other.bin") == data):eq(true)
    end)
    it("resends a lost chunk as soon as later ones are acked, before the timeout", function()
        local real_send, dropped = rednet.send, 0
        rednet.send = function(id, msg, protocol) -- loses the first copy of chunk 2
            if type(msg) == "table" and msg.t == "data" and msg.seq == 2 and dropped == 0 then
                dropped = 1
                return true
            end
            return real_send(id, msg, protocol)
        end
        local start = os.clock()
        local ok, err = transfer.send(me, "/data.bin", "fast.bin", { chunk = 4096, rto = 5 })
        rednet.send = real_send
        expect(err):eq(nil)
        expect({ ok, dropped }):same({ true, 1 })
        expect(os.clock() - start < 5):eq(true) -- no retransmission timeout was needed
        expect(read("/srv/fast.bin") == data):eq(true)
    end)
    -- The server dies mid-transfer (killed: no abort reaches the sender) and comes back: its
    -- "Unknown session" makes the sender offer again, and the new session resumes.
    local function send_through_restart(name, opts)
        local restarted = false
        opts.chunk, opts.rto = 4096, 0.2
        opts.on_progress = function(bytes)
            if bytes >= 16384 and not restarted then
                restarted = true
                redrun.kill(server)
                server = start_server()
            end
        end
        return transfer.send(me, "/data.bin", name, opts)
    end
    it("offers again when the receiver lost the session, and resumes", function()
        local ok, err, info = send_through_restart("again.bin", {})
        expect(err):eq(nil)
        expect(ok):eq(true)
        expect(info.offset > 0 and info.offset % 4096 == 0):eq(true)
        expect(read("/srv/again.bin") == data):eq(true)
    end)
    it("gives up after `reoffers` new offers", function()
        local ok, err = send_through_restart("never.bin", { reoffers = 0 })
        expect({ ok, err }):same({ false, "Unknown session" })
        expect(fs.exists("/srv/never.bin")):eq(false)
        expect(fs.exists("/srv/never.bin.part")):eq(true) -- kept for a later resume
    end)
    it("stops the server task cleanly on terminate", function()
        redrun.terminate(server)
        expect(redrun.status(server).status):eq("terminated")
        local ok, err = transfer.send(me, "/data.bin", "late.bin", { retries = 1, rto = 0.1 })
        expect(ok):eq(false)
        expect(err):eq("timed out")
    end)
end)

describe("the transfer program", function()
    local function run(...)
        local ok = os.run({ require = require, shell = shell }, "/rom/programs/transfer.lua", ...)
        return ok, not ok and getfenv(rednet.run).__redrun_run_error() or nil
    end
    it("rejects bad options with a clear message", function()
        expect(select(2, run("--chunk", "0", "send", "1", "x"))):eq("--chunk expects an integer from 1 to 65536, got 0")
        expect(select(2, run("--window", "2.5", "send", "1", "x"))):eq("--window expects an integer from 1 to 32, got 2.5")
        expect(select(2, run("--rto", "fast", "send", "1", "x"))):eq("--rto expects a number from 0.05 to 3600, got fast")
        expect(select(2, run("send", "1", "x", "--retries"))):eq("--retries needs a value")
        expect(select(2, run("--speed", "9", "send", "1", "x"))):eq("Unknown option --speed")
    end)
end)

spec.finish()
