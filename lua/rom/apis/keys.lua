--- Key codes for key and key_up events (CC's keys API).
-- CC: Tweaked on Minecraft 1.16+ reports GLFW key codes; these are GLFW's values.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

local codes = {
    space = 32, apostrophe = 39, comma = 44, minus = 45, period = 46, slash = 47,
    zero = 48, one = 49, two = 50, three = 51, four = 52,
    five = 53, six = 54, seven = 55, eight = 56, nine = 57,
    semicolon = 59, equals = 61,
    leftBracket = 91, backslash = 92, rightBracket = 93, grave = 96,
    enter = 257, tab = 258, backspace = 259, insert = 260, delete = 261,
    right = 262, left = 263, down = 264, up = 265, pageUp = 266, pageDown = 267,
    home = 268, ["end"] = 269,
    capsLock = 280, scrollLock = 281, numLock = 282, printScreen = 283, pause = 284,
    numPadDecimal = 330, numPadDivide = 331, numPadMultiply = 332,
    numPadSubtract = 333, numPadAdd = 334, numPadEnter = 335, numPadEqual = 336,
    leftShift = 340, leftCtrl = 341, leftAlt = 342, leftSuper = 343,
    rightShift = 344, rightCtrl = 345, rightAlt = 346, rightSuper = 347, menu = 348,
}

-- Letters a-z are 65-90, F1-F25 are 290-314 and the keypad digits 320-329.
for i = 0, 25 do codes[string.char(97 + i)] = 65 + i end
for i = 1, 25 do codes["f" .. i] = 289 + i end
for i = 0, 9 do codes["numPad" .. i] = 320 + i end

local names = {}
for name, code in pairs(codes) do
    _ENV[name] = code
    names[code] = name
end

-- Older names kept as aliases (not reported by getName).
_ENV["return"] = codes.enter
scollLock = codes.scrollLock

--- The name of a key code, or nil.
function getName(code)
    expect(1, code, "number")
    return names[code]
end
