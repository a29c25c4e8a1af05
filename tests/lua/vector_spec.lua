-- The vector API (rom/apis/vector.lua), loaded into a fresh fake computer as os.loadAPI does.
local spec = require "spec"
local fake_world = require "fake_world"

local vector = fake_world.new():add_computer(0):load_api("rom/apis/vector.lua")

local function components(v) return { v.x, v.y, v.z } end

spec.describe("vector", function()
    spec.it("new fills missing or non-numeric components with 0", function()
        spec.expect(components(vector.new(1, 2, 3))):same({ 1, 2, 3 })
        spec.expect(components(vector.new())):same({ 0, 0, 0 })
        spec.expect(components(vector.new("4", nil, "x"))):same({ 4, 0, 0 })
    end)

    spec.it("has a metatable named vector", function()
        spec.expect(getmetatable(vector.new()).__name):eq("vector")
    end)

    spec.it("adds, subtracts and negates", function()
        local a, b = vector.new(1, 2, 3), vector.new(4, 6, 8)
        spec.expect(components(a + b)):same({ 5, 8, 11 })
        spec.expect(components(a:add(b))):same({ 5, 8, 11 })
        spec.expect(components(b - a)):same({ 3, 4, 5 })
        spec.expect(components(b:sub(a))):same({ 3, 4, 5 })
        spec.expect(components(-a)):same({ -1, -2, -3 })
        spec.expect(components(a:unm())):same({ -1, -2, -3 })
    end)

    spec.it("multiplies and divides by a scalar on either side", function()
        local a = vector.new(1, 2, 3)
        spec.expect(components(a * 2)):same({ 2, 4, 6 })
        spec.expect(components(2 * a)):same({ 2, 4, 6 })
        spec.expect(components(a:mul(3))):same({ 3, 6, 9 })
        spec.expect(components(vector.new(2, 4, 8) / 2)):same({ 1, 2, 4 })
        spec.expect(components(vector.new(2, 4, 8):div(4))):same({ 0.5, 1, 2 })
    end)

    spec.it("computes dot and cross products", function()
        local a, b = vector.new(1, 2, 3), vector.new(4, 5, 6)
        spec.expect(a:dot(b)):eq(32)
        spec.expect(components(a:cross(b))):same({ -3, 6, -3 })
        spec.expect(components(vector.new(1, 0, 0):cross(vector.new(0, 1, 0)))):same({ 0, 0, 1 })
    end)

    spec.it("computes length and normalizes", function()
        spec.expect(vector.new(3, 4, 12):length()):eq(13)
        spec.expect(components(vector.new(0, 0, 5):normalize())):same({ 0, 0, 1 })
        local n = vector.new(1, 1, 1):normalize()
        spec.expect(math.abs(n:length() - 1) < 1e-12):eq(true)
    end)

    spec.it("rounds to a tolerance with floor(v / t + 0.5) * t", function()
        spec.expect(components(vector.new(1.4, 1.5, -1.5):round())):same({ 1, 2, -1 })
        spec.expect(components(vector.new(11.996, 23.004, 51.995):round(0.01)))
            :same({ math.floor(11.996 / 0.01 + 0.5) * 0.01, math.floor(23.004 / 0.01 + 0.5) * 0.01,
                math.floor(51.995 / 0.01 + 0.5) * 0.01 })
        spec.expect(components(vector.new(11.999999, 23.0000001, 52.004):round(0.01)))
            :same({ 12, 23, 52 })
    end)

    spec.it("converts to a string x,y,z", function()
        spec.expect(tostring(vector.new(1, -2, 3))):eq("1,-2,3")
        spec.expect(vector.new(4, 5, 6):tostring()):eq("4,5,6")
    end)

    spec.it("compares equal by components", function()
        spec.expect(vector.new(1, 2, 3) == vector.new(1, 2, 3)):eq(true)
        spec.expect(vector.new(1, 2, 3) == vector.new(1, 2, 4)):eq(false)
        spec.expect(vector.new(1, 2, 3):equals(vector.new(1, 2, 3))):eq(true)
    end)

    spec.it("returns new vectors and leaves operands unchanged", function()
        local a = vector.new(1, 2, 3)
        local b = a + vector.new(1, 1, 1)
        spec.expect(components(a)):same({ 1, 2, 3 })
        spec.expect(rawequal(a, b)):eq(false)
    end)

    spec.it("rejects non-vector operands with CC's wording", function()
        spec.expect.error(vector.new(1, 2, 3).add, vector.new(), 5)
            :eq("bad argument #2 (table expected, got number)")
        spec.expect.error(vector.new(1, 2, 3).dot, vector.new(), nil)
            :eq("bad argument #2 (table expected, got nil)")
    end)
end)

spec.finish()
