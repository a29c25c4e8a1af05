-- Shows, sets or clears this computer's label (disk drive labels are not simulated).
local args = { ... }
local program = arg and arg[0] or fs.getName(shell.getRunningProgram())

local function usage()
    print("Usages:")
    print(program .. " get")
    print(program .. " set <text>")
    print(program .. " clear")
end

local command = args[1]
if command == "get" and #args == 1 then
    local label = os.getComputerLabel()
    if label then
        print(("Computer label is %q"):format(label))
    else
        print("No Computer label")
    end
elseif command == "set" and #args >= 2 then
    local label = table.concat(args, " ", 2)
    os.setComputerLabel(label)
    print(("Computer label set to %q"):format(os.getComputerLabel() or label))
elseif command == "clear" and #args == 1 then
    os.setComputerLabel(nil)
    print("Computer label cleared")
else
    usage()
end
