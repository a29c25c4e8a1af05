-- Prints this computer's ID and label.
print("This is computer #" .. os.getComputerID())
local label = os.getComputerLabel()
if label then print(("Computer label is %q"):format(label)) end
