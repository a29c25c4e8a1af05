-- A small CC program: run it with `redrund run config/examples/hello.lua [name]`.
local name = ... or "world"
print(("Hello, %s! Computer #%d, %s."):format(name, os.getComputerID(), os.version()))
print("Uptime " .. os.clock() .. " s; waiting two simulated seconds...")
sleep(2)
print("Uptime " .. os.clock() .. " s. In-game time is " .. textutils.formatTime(os.time(), true) .. ".")
local timers = {}
for i = 1, 3 do timers[os.startTimer(i / 2)] = i end
for _ = 1, 3 do
  local _, id = os.pullEvent("timer")
  print(("timer %d fired at %.2f s"):format(timers[id], os.clock()))
end
