-- The vector API: immutable three-dimensional vectors with arithmetic metamethods.
-- Written for redrund from the behaviour of CC: Tweaked's vector API.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

local methods = {}

-- Every vector shares this metatable, so vectors compare equal component by component.
local vector_mt = { __name = "vector", __index = methods }

local function make(x, y, z)
    return setmetatable({ x = x, y = y, z = z }, vector_mt)
end

function methods.add(self, other)
    expect(1, self, "table")
    expect(2, other, "table")
    return make(self.x + other.x, self.y + other.y, self.z + other.z)
end

function methods.sub(self, other)
    expect(1, self, "table")
    expect(2, other, "table")
    return make(self.x - other.x, self.y - other.y, self.z - other.z)
end

-- Scales by a number; a vector factor multiplies component by component.
function methods.mul(self, factor)
    if type(self) == "number" and type(factor) == "table" then
        self, factor = factor, self
    end
    expect(1, self, "table")
    expect(2, factor, "number", "table")
    if type(factor) == "table" then
        return make(self.x * factor.x, self.y * factor.y, self.z * factor.z)
    end
    return make(self.x * factor, self.y * factor, self.z * factor)
end

function methods.div(self, divisor)
    expect(1, self, "table")
    expect(2, divisor, "number", "table")
    if type(divisor) == "table" then
        return make(self.x / divisor.x, self.y / divisor.y, self.z / divisor.z)
    end
    return make(self.x / divisor, self.y / divisor, self.z / divisor)
end

function methods.unm(self)
    expect(1, self, "table")
    return make(-self.x, -self.y, -self.z)
end

function methods.dot(self, other)
    expect(1, self, "table")
    expect(2, other, "table")
    return self.x * other.x + self.y * other.y + self.z * other.z
end

function methods.cross(self, other)
    expect(1, self, "table")
    expect(2, other, "table")
    return make(
        self.y * other.z - self.z * other.y,
        self.z * other.x - self.x * other.z,
        self.x * other.y - self.y * other.x
    )
end

function methods.length(self)
    expect(1, self, "table")
    return math.sqrt(self.x * self.x + self.y * self.y + self.z * self.z)
end

-- A zero vector normalises to NaN components, as dividing by a zero length does in CC.
function methods.normalize(self)
    expect(1, self, "table")
    return methods.mul(self, 1 / methods.length(self))
end

-- Rounds each component to the nearest multiple of tolerance (default 1), halves upward:
-- floor(v / tolerance + 0.5) * tolerance. gps relies on this exact formula (tolerance 0.01).
function methods.round(self, tolerance)
    expect(1, self, "table")
    expect(2, tolerance, "number", "nil")
    tolerance = tolerance or 1.0
    local function round_component(v)
        return math.floor(v / tolerance + 0.5) * tolerance
    end
    return make(round_component(self.x), round_component(self.y), round_component(self.z))
end

function methods.tostring(self)
    expect(1, self, "table")
    return self.x .. "," .. self.y .. "," .. self.z
end

function methods.equals(self, other)
    expect(1, self, "table")
    expect(2, other, "table")
    return self.x == other.x and self.y == other.y and self.z == other.z
end

vector_mt.__add = methods.add
vector_mt.__sub = methods.sub
vector_mt.__mul = methods.mul
vector_mt.__div = methods.div
vector_mt.__unm = methods.unm
vector_mt.__tostring = methods.tostring
vector_mt.__eq = methods.equals

--- Creates a vector; missing or non-numeric components become 0.
function new(x, y, z)
    return make(tonumber(x) or 0, tonumber(y) or 0, tonumber(z) or 0)
end
