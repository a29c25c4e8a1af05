--- The colors API under British spelling ("grey", "lightGrey"), as in CC.
-- colors.lua is loaded first (fs.list order), so its values can be copied here.

for k, v in pairs(colors) do _ENV[k] = v end
grey, gray = colors.gray, nil
lightGrey, lightGray = colors.lightGray, nil
