-- The native fs API through a real computer: CC: Tweaked's behaviour and error wording.
local spec = require "spec"
local describe, it, expect = spec.describe, spec.it, spec.expect

local root = "test-files/fs"
local function path(name) return fs.combine(root, name) end

local function write(name, contents)
    local handle = assert(fs.open(path(name), "wb"))
    handle.write(contents)
    handle.close()
    return path(name)
end

local function read(name)
    local handle = assert(fs.open(path(name), "rb"))
    local contents = handle.readAll()
    handle.close()
    return contents
end

local function fresh() fs.delete(root) end

-- Any file of the ROM, found without assuming its layout.
local function rom_file()
    for _, dir in ipairs(fs.list("rom")) do
        local inside = fs.combine("rom", dir)
        if not fs.isDir(inside) then return inside end
        for _, name in ipairs(fs.list(inside)) do
            if not fs.isDir(fs.combine(inside, name)) then return fs.combine(inside, name) end
        end
    end
end

describe("fs", function()
    describe("argument checks", function()
        it("requires strings", function()
            expect.error(fs.exists, nil):eq("bad argument #1 (string expected, got nil)")
            expect.error(fs.list, 1):eq("bad argument #1 (string expected, got number)")
            expect.error(fs.combine, "a", nil):eq("bad argument #2 (string expected, got nil)")
            expect.error(fs.move, "a"):eq("bad argument #2 (string expected, got nil)")
            expect.error(fs.open, "a"):eq("bad argument #2 (string expected, got nil)")
            expect.error(fs.isDriveRoot, nil):eq("bad argument #1 (string expected, got nil)")
        end)

        it("rejects unknown modes", function()
            expect.error(fs.open, "x", "rw"):eq("Unsupported mode")
            expect.error(fs.open, "x", ""):eq("Unsupported mode")
            expect.error(fs.open, "x", "rb+"):eq("Unsupported mode")
        end)
    end)

    describe("paths", function()
        it("combines, removing . and ..", function()
            expect(fs.combine("./a/b")):eq("a/b")
            expect(fs.combine("a/b", "../c")):eq("a/c")
            expect(fs.combine("a", "../../c")):eq("../c")
            expect(fs.combine("..", "x")):eq("../x")
            expect(fs.combine("a", "", "b", "c")):eq("a/b/c")
            expect(fs.combine("/a/", "/b/")):eq("a/b")
            expect(fs.combine("a\\b")):eq("a/b")
            expect(fs.combine("foo*?")):eq("foo*?")
            expect(fs.combine("foo\":<>|")):eq("foo")
        end)

        it("names and parents", function()
            expect(fs.getName("")):eq("root")
            expect(fs.getName("foo/bar/")):eq("bar")
            expect(fs.getName("..")):eq("..")
            expect(fs.getDir("")):eq("..")
            expect(fs.getDir("foo/bar")):eq("foo")
            expect(fs.getDir("foo")):eq("")
            expect(fs.getDir("..")):eq("../..")
        end)
    end)

    describe("the root and the ROM", function()
        it("lists rom at the root", function()
            local found = false
            for _, name in ipairs(fs.list("/")) do found = found or name == "rom" end
            expect(found):eq(true)
            expect(fs.isDir("/")):eq(true)
            expect(fs.exists("")):eq(true)
        end)

        it("shows the ROM read-only", function()
            local file = rom_file()
            expect(file):type("string")
            expect(fs.isReadOnly("rom")):eq(true)
            expect(fs.isReadOnly(file)):eq(true)
            expect(fs.isReadOnly("")):eq(false)
            expect(fs.getDrive("rom")):eq("rom")
            expect(fs.getDrive(file)):eq("rom")
            expect(fs.getDrive("/")):eq("hdd")
            expect(fs.getDrive("nothing-here")):eq(nil)
            expect(fs.getCapacity("rom")):eq(nil)
            expect(fs.getFreeSpace("rom")):eq(0)
            expect(fs.attributes("rom")):same {
                size = 0, isDir = true, isReadOnly = true, created = 0, modified = 0, modification = 0,
            }
        end)

        it("hides the bios", function()
            expect(fs.exists("bios.lua")):eq(false)
            expect(fs.exists("rom/../bios.lua")):eq(false)
        end)

        it("refuses writes", function()
            expect { fs.open("rom/x", "w") }:same { nil, "/rom/x: Access denied" }
            expect { fs.open("rom/x", "a") }:same { nil, "/rom/x: Access denied" }
            expect.error(fs.makeDir, "rom/x"):eq("/rom/x: Access denied")
            expect.error(fs.delete, "rom/x"):eq("/rom/x: Access denied")
            expect.error(fs.delete, "rom"):eq("/rom: Access denied")
            expect.error(fs.copy, "rom", "rom/startup"):eq("/rom/startup: Access denied")
            expect.error(fs.move, "rom", "rom/move"):eq("Access denied")
            expect.error(fs.move, "rom", "elsewhere"):eq("Access denied")
        end)

        it("identifies drive roots", function()
            expect(fs.isDriveRoot("/")):eq(true)
            expect(fs.isDriveRoot("/rom")):eq(true)
            expect(fs.isDriveRoot(rom_file())):eq(false)
        end)

        it("gives the capacity and free space of the disk", function()
            expect(fs.getCapacity("")):eq(1000000)
            expect(fs.getFreeSpace("")):type("number")
        end)
    end)

    describe("errors", function()
        it("for lists", function()
            fresh()
            write("file", "x")
            expect.error(fs.list, path("file")):eq("/" .. path("file") .. ": Not a directory")
            expect.error(fs.list, path("none")):eq("/" .. path("none") .. ": No such file")
            expect.error(fs.list, "rom/x"):eq("/rom/x: No such file")
        end)

        it("for sizes and attributes", function()
            expect.error(fs.getSize, "x-none"):eq("/x-none: No such file")
            expect.error(fs.getSize, "rom/x"):eq("/rom/x: No such file")
            expect.error(fs.attributes, "x-none"):eq("/x-none: No such file")
        end)

        it("for opening", function()
            expect { fs.open("x-none", "r") }:same { nil, "/x-none: No such file" }
            expect { fs.open("rom", "r") }:same { nil, "/rom: Not a file" }
            expect { fs.open("", "r") }:same { nil, "/: Not a file" }
            expect { fs.open("", "r+") }:same { nil, "/: Not a file" }
            expect { fs.open("x-none", "r+") }:same { nil, "/x-none: No such file" }
            expect { fs.open("", "w") }:same { nil, "/: Cannot write to directory" }
            expect { fs.open("", "a") }:same { nil, "/: Cannot write to directory" }
        end)

        it("for directories", function()
            fresh()
            write("file", "x")
            expect.error(fs.makeDir, path("file")):eq("/" .. path("file") .. ": File exists")
            expect.error(fs.delete, ""):eq("/: Access denied")
            fs.delete(path("never-there"))
        end)
    end)

    describe("files", function()
        it("write and read back", function()
            fresh()
            local handle = fs.open(path("out.txt"), "w")
            handle.writeLine("First line!")
            handle.write(65)
            handle.write(" ")
            handle.write(1.5)
            handle.flush()
            handle.close()
            expect(read("out.txt")):eq("First line!\n65 1.5")
            expect(fs.getSize(path("out.txt"))):eq(18)
            expect(fs.attributes(path("out.txt"))):same {
                size = 18, isDir = false, isReadOnly = false, created = 0, modified = 0, modification = 0,
            }
        end)

        it("write numbers as bytes in binary mode", function()
            fresh()
            local handle = fs.open(path("out.bin"), "wb")
            handle.write(65)
            handle.write(256 + 66)
            handle.write("C")
            handle.close()
            expect(read("out.bin")):eq("AB" .. "C")
        end)

        it("read single bytes, counts and lines", function()
            fresh()
            write("f", "some\nfile\r\ncontents\r!\n\n")
            local text = fs.open(path("f"), "r")
            expect(text.read()):eq("s")
            expect(text.read(3)):eq("ome")
            expect(text.read(0)):eq("")
            expect(text.readLine()):eq("")
            expect(text.readLine(true)):eq("file\r\n")
            expect(text.readLine()):eq("contents\r!")
            expect(text.readLine()):eq("")
            expect(text.readLine()):eq(nil)
            expect(text.read()):eq(nil)
            expect(text.read(0)):eq(nil)
            expect(text.readAll()):eq("")
            expect.error(text.read, -1):eq("Cannot read a negative number of bytes")
            text.close()

            local binary = fs.open(path("f"), "rb")
            expect(binary.read()):eq(115)
            expect(binary.read(100)):eq("ome\nfile\r\ncontents\r!\n\n")
            expect(binary.read()):eq(nil)
            binary.close()
        end)

        it("read nothing from an empty file", function()
            fresh()
            write("empty", "")
            local handle = fs.open(path("empty"), "r")
            expect(handle.read()):eq(nil)
            expect(handle.readLine()):eq(nil)
            expect(handle.readAll()):eq("")
            handle.close()
        end)

        it("read the ROM", function()
            local file = rom_file()
            local handle = fs.open(file, "r")
            local contents = handle.readAll()
            handle.close()
            expect(#contents):eq(fs.getSize(file))
        end)

        it("seek", function()
            fresh()
            write("f", "an example file")
            local handle = fs.open(path("f"), "r")
            expect(handle.seek()):eq(0)
            expect(handle.seek("set", 3)):eq(3)
            expect(handle.read(7)):eq("example")
            expect(handle.seek("cur", -7)):eq(3)
            expect(handle.seek("end")):eq(15)
            expect(handle.seek("end", -4)):eq(11)
            expect(handle.readAll()):eq("file")
            expect { handle.seek("set", -1) }:same { nil, "Position is negative" }
            expect(handle.seek()):eq(15)
            expect.error(handle.seek, "middle"):eq("bad argument #1 to 'seek' (invalid option 'middle')")
            handle.close()
        end)

        it("read and write in r+ and w+ modes", function()
            fresh()
            write("f", "an example file")
            local both = fs.open(path("f"), "r+")
            expect(both.read(3)):eq("an ")
            both.write("exciting file")
            expect(both.seek("cur")):eq(16)
            both.seek("set", 0)
            expect(both.readAll()):eq("an exciting file")
            both.close()

            local fresh_file = fs.open(path("f"), "w+")
            expect(fresh_file.readAll()):eq("")
            fresh_file.write("hello")
            fresh_file.seek("set", 0)
            fresh_file.write("H")
            fresh_file.seek("set", 0)
            expect(fresh_file.readAll()):eq("Hello")
            fresh_file.close()
        end)

        it("append", function()
            fresh()
            write("log", "one\n")
            local handle = fs.open(path("log"), "a")
            expect(handle.seek):eq(nil)
            expect(handle.read):eq(nil)
            handle.writeLine("two")
            handle.close()
            expect(read("log")):eq("one\ntwo\n")
        end)

        it("give each mode only its own methods", function()
            fresh()
            local function methods(mode)
                local handle = fs.open(path("m"), mode)
                local names = {}
                for name in pairs(handle) do names[#names + 1] = name end
                handle.close()
                table.sort(names)
                return table.concat(names, " ")
            end
            expect(methods("w")):eq("close flush seek write writeLine")
            expect(methods("a")):eq("close flush write writeLine")
            expect(methods("r")):eq("close read readAll readLine seek")
            expect(methods("r+")):eq("close flush read readAll readLine seek write writeLine")
        end)

        it("create missing directories when writing", function()
            fresh()
            write("deep/er/file", "x")
            expect(fs.isDir(path("deep/er"))):eq(true)
        end)

        it("refuse use after close", function()
            fresh()
            local handle = fs.open(path("c"), "w")
            handle.close()
            expect.error(handle.close):eq("attempt to use a closed file")
            expect.error(handle.write, "x"):eq("attempt to use a closed file")
            local reader = fs.open(path("c"), "r")
            reader.close()
            expect.error(reader.readLine):eq("attempt to use a closed file")
        end)

        it("are limited to 128 open at once", function()
            fresh()
            write("many", "x")
            local handles = {}
            for i = 1, 128 do
                handles[i] = fs.open(path("many"), "r")
                if not handles[i] then spec.fail("handle " .. i .. " did not open") end
            end
            expect { fs.open(path("many"), "r") }:same { nil, "Too many files already open" }
            handles[1].close()
            local again = fs.open(path("many"), "r")
            expect(again):type("table")
            again.close()
            for i = 2, 128 do handles[i].close() end
        end)
    end)

    describe("directories", function()
        it("make, list sorted and delete", function()
            fresh()
            fs.makeDir(path("b/c"))
            fs.makeDir(path("b/c"))
            write("a", "x")
            write("B", "x")
            expect(fs.list(root)):same { "B", "a", "b" }
            expect(fs.isDir(path("b"))):eq(true)
            expect(fs.getSize(path("b"))):eq(0)
            fs.delete(path("b"))
            expect(fs.exists(path("b"))):eq(false)
            expect(fs.exists(path("b/c"))):eq(false)
        end)

        it("find with wildcards per segment", function()
            fresh()
            write("x/one.lua", "")
            write("x/two.lua", "")
            write("y/one.txt", "")
            expect(fs.find(root .. "/*/one.*")):same { path("x/one.lua"), path("y/one.txt") }
            expect(fs.find(root .. "/x/???.lua")):same { path("x/one.lua"), path("x/two.lua") }
            expect(fs.find(root .. "/*.lua")):same {}
            expect(fs.find(root .. "/x")):same { path("x") }
            expect(fs.find("no/such/*")):same {}
            expect(fs.find("rom")):same { "rom" }
            expect.error(fs.find, ".."):eq("/..: Invalid Path")
            expect.error(fs.find, "../foo/bar"):eq("/../foo/bar: Invalid Path")
        end)
    end)

    describe("move and copy", function()
        it("refuse to go inside themselves", function()
            fresh()
            fs.makeDir(path("folder"))
            expect.error(fs.copy, path("folder"), path("folder/x"))
                :eq("/" .. path("folder") .. ": Can't copy a directory inside itself")
            expect.error(fs.copy, path("folder"), path("FOLDER/x"))
                :eq("/" .. path("folder") .. ": Can't copy a directory inside itself")
            expect.error(fs.move, path("folder"), path("folder/x")):eq("Can't move a directory inside itself")
            expect.error(fs.move, "", "child"):eq("Can't move a directory inside itself")
        end)

        it("refuse missing sources and existing targets", function()
            fresh()
            write("src", "s")
            write("dest", "d")
            expect.error(fs.move, path("none"), path("x")):eq("No such file")
            expect.error(fs.move, path("src"), path("dest")):eq("File exists")
            expect.error(fs.copy, path("none"), path("x")):eq("/" .. path("none") .. ": No such file")
            expect.error(fs.copy, path("src"), path("dest")):eq("/" .. path("dest") .. ": File exists")
        end)

        it("move files and directories, creating the target's parent", function()
            fresh()
            write("src/some/file", "data")
            fs.move(path("src"), path("dest/inner"))
            expect(fs.exists(path("src"))):eq(false)
            expect(read("dest/inner/some/file")):eq("data")
        end)

        it("copy directories recursively, and from the ROM", function()
            fresh()
            write("tree/a/b", "data")
            fs.copy(path("tree"), path("copy"))
            expect(read("copy/a/b")):eq("data")
            expect(read("tree/a/b")):eq("data")
            local file = rom_file()
            fs.copy(file, path("from-rom"))
            expect(fs.getSize(path("from-rom"))):eq(fs.getSize(file))
        end)
    end)

    describe("the quota", function()
        it("counts every file at least 500 bytes", function()
            fresh()
            fs.makeDir(root)
            local free = fs.getFreeSpace("")
            write("empty", "")
            expect(fs.getFreeSpace("")):eq(free - 500)
            write("empty", string.rep("x", 600))
            expect(fs.getFreeSpace("")):eq(free - 600)
            fs.delete(path("empty"))
            expect(fs.getFreeSpace("")):eq(free)
        end)

        it("stops writes that do not fit", function()
            fresh()
            local handle = fs.open(path("big"), "wb")
            -- The new file's first 500 bytes are already paid for.
            local room = fs.getFreeSpace("") + 500
            expect.error(handle.write, string.rep("x", room + 1)):eq("Out of space")
            handle.write(string.rep("x", room))
            expect(fs.getFreeSpace("")):eq(0)
            expect.error(handle.write, "y"):eq("Out of space")
            handle.close()
            expect { fs.open(path("another"), "w") }:same { nil, "/" .. path("another") .. ": Out of space" }
            expect.error(fs.makeDir, path("dir")):eq("/" .. path("dir") .. ": Out of space")
            fs.delete(path("big"))
            expect(fs.getFreeSpace("") > 0):eq(true)
        end)
    end)
end)

fresh()
spec.finish()
