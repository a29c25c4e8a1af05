-- Attempts to reach outside the computer's own files through fs: each must end as CC's
-- error or a nil, never as a host effect.
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

local climbing = {
    "..", "../..", "/../x", "../x", "rom/../..", "a/../../x", "\\..\\x", "../../../../etc/passwd",
    "./../x", "a/b/../../../x",
}

local function invalid(path) return "/" .. fs.combine(path) .. ": Invalid Path" end

describe("fs confinement", function()
    it("answers no for paths above the root", function()
        for _, path in ipairs(climbing) do
            expect(fs.exists(path)):eq(false)
            expect(fs.isDir(path)):eq(false)
            expect(fs.isReadOnly(path)):eq(false)
        end
    end)

    it("raises Invalid Path for paths above the root", function()
        for _, path in ipairs(climbing) do
            local message = invalid(path)
            expect.error(fs.list, path):eq(message)
            expect.error(fs.getSize, path):eq(message)
            expect.error(fs.attributes, path):eq(message)
            expect.error(fs.makeDir, path):eq(message)
            expect.error(fs.delete, path):eq(message)
            expect.error(fs.getDrive, path):eq(message)
            expect.error(fs.getFreeSpace, path):eq(message)
            expect.error(fs.getCapacity, path):eq(message)
            expect.error(fs.find, path):eq(message)
            expect.error(fs.move, path, "x"):eq(message)
            expect.error(fs.move, "rom", path):eq(message)
            expect.error(fs.copy, "rom", path):eq(message)
            expect.error(fs.copy, path, "x"):eq(message)
        end
    end)

    it("refuses to open paths above the root", function()
        for _, path in ipairs(climbing) do
            for _, mode in ipairs { "r", "rb", "w", "wb", "a", "ab", "r+", "w+" } do
                expect { fs.open(path, mode) }:same { nil, invalid(path) }
            end
        end
        expect { fs.open("../x", "r") }:same { nil, "/../x: Invalid Path" }
    end)

    it("keeps absolute host paths inside the computer", function()
        for _, path in ipairs { "/etc/passwd", "/proc/self/environ", "/dev/zero", "/sys/kernel" } do
            expect(fs.exists(path)):eq(false)
            expect { fs.open(path, "r") }:same { nil, path .. ": No such file" }
        end
        local handle = fs.open("/dev/null", "w")
        handle.write("kept")
        handle.close()
        local reader = fs.open("dev/null", "r")
        expect(reader.readAll()):eq("kept")
        reader.close()
        fs.delete("dev")
        expect(fs.exists("dev")):eq(false)
    end)

    it("drops control and special characters from names", function()
        local handle = fs.open("con\0trol\n<name>", "w")
        handle.close()
        expect(fs.exists("controlname")):eq(true)
        fs.delete("controlname")
    end)

    it("cuts long names to 255 bytes", function()
        local long = string.rep("n", 300)
        local handle = fs.open(long, "w")
        handle.close()
        expect(fs.exists(string.rep("n", 255))):eq(true)
        expect(fs.list("")):type("table")
        fs.delete(long)
        expect(fs.exists(string.rep("n", 255))):eq(false)
    end)

    it("lets nobody write through the ROM, whatever its case", function()
        expect.error(fs.makeDir, "ROM"):eq("/ROM: Access denied")
        expect { fs.open("Rom/x", "w") }:same { nil, "/Rom/x: Access denied" }
        expect(fs.isReadOnly("rOm/anything")):eq(true)
        expect.error(fs.delete, "/"):eq("/: Access denied")
    end)
end)

describe("file handles", function()
    it("keep their box out of reach of debug", function()
        local handle = fs.open("escape-test", "w")
        -- Handle methods are C closures: debug sees no upvalues in them.
        expect(select("#", debug.getupvalue(handle.close, 1))):eq(0)
        expect(debug.upvalueid(handle.close, 1)):eq(nil)
        handle.close()
        fs.delete("escape-test")
    end)

    it("survive an attempt to swap their upvalue", function()
        local handle = fs.open("escape-test", "w")
        expect(debug.setupvalue(handle.write, 1, {})):eq(nil)
        expect(debug.setupvalue(handle.flush, 1, "text")):eq(nil)
        handle.write("x")
        handle.flush()
        handle.close()
        local reader = fs.open("escape-test", "r")
        expect(reader.readAll()):eq("x")
        reader.close()
        fs.delete("escape-test")
    end)
end)

spec.finish()
