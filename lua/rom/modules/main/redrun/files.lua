--- redrun.files: the file helpers of redrun.transfer: CRC-32, block reads, truncation and
-- the .part.meta record. Written for redrund (proto/transfer.md).

local files = {}

-- CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) on Lua 5.4 integers.
local CRC_TABLE = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if c & 1 == 1 then c = (c >> 1) ~ 0xEDB88320 else c = c >> 1 end
    end
    CRC_TABLE[i] = c
end

--- Continues a CRC-32 over `data`: crc32(a .. b) == crc32(b, crc32(a)); crc32("") == 0.
function files.crc32(data, crc)
    local c = ~(crc or 0) & 0xFFFFFFFF
    local byte, tbl, n = string.byte, CRC_TABLE, #data
    local i = 1
    -- Eight bytes per string.byte call: the call, not the table step, is most of the cost.
    while i + 7 <= n do
        local b1, b2, b3, b4, b5, b6, b7, b8 = byte(data, i, i + 7)
        c = tbl[(c ~ b1) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b2) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b3) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b4) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b5) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b6) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b7) & 0xFF] ~ (c >> 8)
        c = tbl[(c ~ b8) & 0xFF] ~ (c >> 8)
        i = i + 8
    end
    for j = i, n do c = tbl[(c ~ byte(data, j)) & 0xFF] ~ (c >> 8) end
    return ~c & 0xFFFFFFFF
end

local function read_blocks(path, fn)
    local file = fs.open(path, "rb")
    if not file then return false end
    while true do
        local block = file.read(8192)
        if not block or #block == 0 then break end
        fn(block)
    end
    file.close()
    return true
end

--- CRC-32 and size of a file, or nil if it cannot be read.
function files.crc_file(path)
    local crc, size = 0, 0
    if not read_blocks(path, function(block) crc, size = files.crc32(block, crc), size + #block end) then return nil end
    return crc, size
end

-- Keeps the first `size` bytes of a file (a .part longer than its meta says).
function files.truncate(path, size)
    local tmp, left = path .. ".tmp", size
    local out = fs.open(tmp, "wb")
    read_blocks(path, function(block)
        if left > 0 then out.write(block:sub(1, left)) end
        left = left - #block
    end)
    out.close()
    fs.delete(path)
    fs.move(tmp, path)
end

function files.read_meta(path)
    local file = fs.open(path, "r")
    if not file then return nil end
    local meta = textutils.unserialize(file.readAll() or "")
    file.close()
    return type(meta) == "table" and meta or nil
end

function files.write_meta(path, meta)
    local file = fs.open(path, "w")
    file.write(textutils.serialize(meta, { compact = true }))
    file.close()
end

return files
