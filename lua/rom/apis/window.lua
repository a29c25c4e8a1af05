--- Terminal windows drawn into a parent terminal (CC's window API).
-- Written for redrund from CC's documented behaviour. A window keeps its own buffer of
-- text and colours, so it can be hidden, redrawn and moved; while visible, every change is
-- also drawn on the parent at once.

local expect = dofile("rom/modules/main/cc/expect.lua").expect

-- Colours are bit flags 2^0..2^15; blit uses one hex digit per colour.
local function blit_char(colour)
    expect(1, colour, "number")
    if colour <= 0 then error("Colour out of range", 3) end
    local index = math.floor(math.log(colour, 2) + 1e-9)
    if index > 15 then error("Colour out of range", 3) end
    return ("%x"):format(index)
end

function create(parent, x, y, width, height, visible)
    expect(1, parent, "table")
    expect(2, x, "number")
    expect(3, y, "number")
    expect(4, width, "number")
    expect(5, height, "number")
    expect(6, visible, "boolean", "nil")
    if parent == term then
        error("term is not a recommended window parent, try term.current() instead", 2)
    end
    if visible == nil then visible = true end

    local win = {}
    local cursor_x, cursor_y, blink = 1, 1, false
    local text_colour, back_colour = "0", "f"
    local lines = {} -- [y] = { text, fg, bg }, each exactly `width` long
    local palette = {}
    for i = 0, 15 do palette[1 << i] = { parent.getPaletteColour(1 << i) } end

    local function blank_line()
        return { (" "):rep(width), text_colour:rep(width), back_colour:rep(width) }
    end

    local function draw_line(n)
        local line = lines[n]
        parent.setCursorPos(x, y + n - 1)
        parent.blit(line[1], line[2], line[3])
    end

    local function restore_cursor()
        parent.setCursorPos(x + cursor_x - 1, y + cursor_y - 1)
        parent.setCursorBlink(blink)
        parent.setTextColour(1 << tonumber(text_colour, 16))
        parent.setBackgroundColour(1 << tonumber(back_colour, 16))
    end

    local function redraw_all()
        for colour, rgb in pairs(palette) do parent.setPaletteColour(colour, table.unpack(rgb)) end
        for n = 1, height do draw_line(n) end
        restore_cursor()
    end

    -- Writes at the cursor, clipped to the window, and moves the cursor past the text.
    local function put(text, fg, bg)
        local start, n = cursor_x, #text
        cursor_x = cursor_x + n
        if cursor_y < 1 or cursor_y > height or start > width or start + n <= 1 then return end
        local from = start < 1 and 2 - start or 1
        local to = math.min(n, width - start + 1)
        local col = math.max(start, 1)
        local line = lines[cursor_y]
        local function splice(old, new)
            return old:sub(1, col - 1) .. new:sub(from, to) .. old:sub(col + to - from + 1)
        end
        line[1], line[2], line[3] = splice(line[1], text), splice(line[2], fg), splice(line[3], bg)
        if visible then
            draw_line(cursor_y)
            restore_cursor()
        end
    end

    function win.write(text)
        text = tostring(text)
        put(text, text_colour:rep(#text), back_colour:rep(#text))
    end

    function win.blit(text, fg, bg)
        expect(1, text, "string")
        expect(2, fg, "string")
        expect(3, bg, "string")
        if #fg ~= #text or #bg ~= #text then error("Arguments must be the same length", 2) end
        put(text, fg:lower(), bg:lower())
    end

    function win.clear()
        for n = 1, height do lines[n] = blank_line() end
        if visible then redraw_all() end
    end

    function win.clearLine()
        if cursor_y >= 1 and cursor_y <= height then
            lines[cursor_y] = blank_line()
            if visible then
                draw_line(cursor_y)
                restore_cursor()
            end
        end
    end

    function win.getCursorPos() return cursor_x, cursor_y end

    function win.setCursorPos(new_x, new_y)
        expect(1, new_x, "number")
        expect(2, new_y, "number")
        cursor_x, cursor_y = math.floor(new_x), math.floor(new_y)
        if visible then restore_cursor() end
    end

    function win.setCursorBlink(on)
        expect(1, on, "boolean")
        blink = on
        if visible then parent.setCursorBlink(on) end
    end

    function win.getCursorBlink() return blink end

    function win.isColour() return parent.isColour() end

    function win.setTextColour(colour)
        text_colour = blit_char(colour)
        if visible then parent.setTextColour(colour) end
    end

    function win.getTextColour() return 1 << tonumber(text_colour, 16) end

    function win.setBackgroundColour(colour)
        back_colour = blit_char(colour)
        if visible then parent.setBackgroundColour(colour) end
    end

    function win.getBackgroundColour() return 1 << tonumber(back_colour, 16) end

    function win.setPaletteColour(colour, r, g, b)
        local key = 1 << tonumber(blit_char(colour), 16)
        if type(r) == "number" and g == nil and b == nil then
            r, g, b = colours.unpackRGB(r)
        else
            expect(2, r, "number")
            expect(3, g, "number")
            expect(4, b, "number")
        end
        palette[key] = { r, g, b }
        if visible then parent.setPaletteColour(key, r, g, b) end
    end

    function win.getPaletteColour(colour)
        local rgb = palette[1 << tonumber(blit_char(colour), 16)]
        return rgb[1], rgb[2], rgb[3]
    end

    function win.getSize() return width, height end

    function win.scroll(n)
        expect(1, n, "number")
        n = math.floor(n)
        if n == 0 then return end
        local moved = {}
        for row = 1, height do
            moved[row] = lines[row + n] or blank_line()
        end
        lines = moved
        if visible then redraw_all() end
    end

    function win.getLine(n)
        expect(1, n, "number")
        local line = lines[n]
        if not line then error("Line is out of range.", 2) end
        return line[1], line[2], line[3]
    end

    function win.setVisible(on)
        expect(1, on, "boolean")
        if on ~= visible then
            visible = on
            if visible then redraw_all() end
        end
    end

    function win.isVisible() return visible end

    function win.redraw()
        if visible then redraw_all() end
    end

    function win.restoreCursor()
        if visible then restore_cursor() end
    end

    function win.getPosition() return x, y end

    --- Moves (and optionally resizes and re-parents) the window, keeping its contents.
    function win.reposition(new_x, new_y, new_width, new_height, new_parent)
        expect(1, new_x, "number")
        expect(2, new_y, "number")
        expect(3, new_width, "number", "nil")
        expect(4, new_height, "number", "nil")
        expect(5, new_parent, "table", "nil")
        if new_width == nil ~= (new_height == nil) then
            error("Expected both width and height, or neither", 2)
        end
        x, y = math.floor(new_x), math.floor(new_y)
        parent = new_parent or parent
        if new_width then
            local old = lines
            width, height = math.floor(new_width), math.floor(new_height)
            lines = {}
            for row = 1, height do
                local line, was = blank_line(), old[row]
                if was then
                    for i = 1, 3 do line[i] = (was[i] .. line[i]:sub(#was[i] + 1)):sub(1, width) end
                end
                lines[row] = line
            end
        end
        if visible then redraw_all() end
    end

    win.isColor = win.isColour
    win.setTextColor, win.getTextColor = win.setTextColour, win.getTextColour
    win.setBackgroundColor, win.getBackgroundColor = win.setBackgroundColour, win.getBackgroundColour
    win.setPaletteColor, win.getPaletteColor = win.setPaletteColour, win.getPaletteColour

    for n = 1, height do lines[n] = blank_line() end
    if visible then redraw_all() end
    return win
end
