--- Colour constants and helpers for the terminal (CC's colors API).
-- Written for redrund from CC's documented behaviour. Colours are bit flags, 2^0 to 2^15,
-- so several can be combined into one number (as bundled cables do).

local expect = dofile("rom/modules/main/cc/expect.lua").expect

white = 0x1
orange = 0x2
magenta = 0x4
lightBlue = 0x8
yellow = 0x10
lime = 0x20
pink = 0x40
gray = 0x80
lightGray = 0x100
cyan = 0x200
purple = 0x400
blue = 0x800
brown = 0x1000
green = 0x2000
red = 0x4000
black = 0x8000

-- Colour values may arrive as floats (e.g. 2^4); bit operators need integers.
local function int(n) return math.tointeger(n) or math.floor(n) end

function combine(...)
    local result = 0
    for i = 1, select("#", ...) do
        result = result | int(expect(i, select(i, ...), "number"))
    end
    return result
end

function subtract(colors, ...)
    local result = int(expect(1, colors, "number"))
    for i = 1, select("#", ...) do
        result = result & ~int(expect(i + 1, select(i, ...), "number"))
    end
    return result
end

function test(colors, color)
    expect(1, colors, "number")
    expect(2, color, "number")
    return int(colors) & int(color) == int(color)
end

function packRGB(r, g, b)
    expect(1, r, "number")
    expect(2, g, "number")
    expect(3, b, "number")
    local function byte(c) return int(c * 255) & 0xFF end
    return (byte(r) << 16) | (byte(g) << 8) | byte(b)
end

function unpackRGB(rgb)
    expect(1, rgb, "number")
    rgb = int(rgb)
    return ((rgb >> 16) & 0xFF) / 255, ((rgb >> 8) & 0xFF) / 255, (rgb & 0xFF) / 255
end

--- Deprecated: packRGB with three arguments, unpackRGB with one.
function rgb8(r, g, b)
    if g == nil and b == nil then return unpackRGB(r) end
    return packRGB(r, g, b)
end

--- The blit character ("0"-"f") of a colour.
function toBlit(color)
    expect(1, color, "number")
    local index = 0
    local value = int(color)
    while value > 1 do
        value = value >> 1
        index = index + 1
    end
    return ("%x"):format(index)
end

--- The colour of a blit character, or nil if it is not one.
function fromBlit(hex)
    expect(1, hex, "string")
    if #hex ~= 1 then return nil end
    local value = tonumber(hex, 16)
    if not value then return nil end
    return 1 << value
end
