--- redrun.transfer: reliable file transfer over rednet (protocol "redrund-transfer").
-- Written for redrund; the protocol is specified in proto/transfer.md.
--
-- Why it looks like this: rednet gives no delivery guarantee (range, unloaded chunks and a
-- full 256-event queue all drop messages silently), so files travel in numbered chunks with
-- cumulative + selective acks, a small window (rednet messages and timers share the
-- receiver's queue) and timed retransmission with a retry cap. The receiver writes to
-- `<name>.part`, keeps `<name>.part.meta` (size, CRC, chunk, bytes received) so a later
-- transfer of the same file resumes, checks a whole-file CRC32 and only then renames: the
-- final name never holds a partial or corrupt file. Sessions are event-driven state
-- machines, so one loop serves many of them and a "terminate" closes every file at once
-- (no yielding cleanup, which RedRun's single terminate resume could not finish).

local files = require "redrun.files"
local read_meta, write_meta, truncate = files.read_meta, files.write_meta, files.truncate

local M = {}
M.crc32, M.crc_file = files.crc32, files.crc_file

M.PROTOCOL = "redrund-transfer"
M.defaults = {
    chunk = 8192,   -- bytes per data message
    window = 8,     -- chunks in flight: 2 events each at the receiver, far below its 256
    rto = 1,        -- seconds before the first retransmission; doubles up to rto_max
    rto_max = 8,
    retries = 10,   -- consecutive timeouts without progress before giving up
    reoffers = 5,   -- times a sender offers again when the receiver lost its session
    idle = 30,      -- a receiver gives up (keeping .part) after this long without a message
    linger = 3,     -- a fetching client keeps answering the sender this long after finishing
}
-- Limits a receiver enforces on offers, bounding its memory to window * chunk.
local CHUNK_MAX, WINDOW_MAX = 65536, 32
M.CHUNK_MAX, M.WINDOW_MAX = CHUNK_MAX, WINDOW_MAX

-- The receiver's answer to data for a session it does not have.
local UNKNOWN_SESSION = "Unknown session"

local function is_count(v, max) return math.type(v) == "integer" and v >= 0 and v <= (max or math.huge) end

---------------------------------------------------------------------------------------------
-- Sessions. Each has peer, sid and done/ok/err; the endpoint routes messages and timers.

local Session = {}
Session.__index = Session

function Session:send(msg)
    msg.sid = self.sid
    rednet.send(self.peer, msg, M.PROTOCOL)
end

function Session:stop_timer()
    if self.timer then
        self.ep.timers[self.timer] = nil
        os.cancelTimer(self.timer)
        self.timer = nil
    end
end

function Session:arm(seconds)
    self:stop_timer()
    self.timer = os.startTimer(seconds)
    self.ep.timers[self.timer] = self
end

-- Ends the session: closes its file, stops its timer, tells the endpoint.
function Session:finish(ok, err)
    if self.done then return end
    self.done, self.ok, self.err = true, ok, err
    if self.file then
        self.file.close()
        self.file = nil
    end
    self:stop_timer()
    self.ep:ended(self)
end

-- A local stop (terminate): the peer is told, without waiting; a receiver keeps its .part.
function Session:abort(reason)
    if self.done then return end
    self:send({ t = "abort", msg = reason })
    self:finish(false, reason)
end

-- Called when the retransmission timer fires: a retry, or the end after too many.
function Session:timeout()
    self.tries = self.tries + 1
    if self.tries > self.opts.retries then
        self:finish(false, "timed out")
        return false
    end
    self.rto = math.min(self.rto * 2, self.opts.rto_max)
    self:arm(self.rto)
    return true
end

local function new_session(ep, peer, sid, kind)
    return setmetatable({
        ep = ep, peer = peer, sid = sid, kind = kind, opts = ep.opts,
        tries = 0, rto = ep.opts.rto, reoffers = 0,
    }, kind)
end

---------------------------------------------------------------------------------------------
-- Sender: offer -> (accept) -> data/ack ... -> done.

local Sender = setmetatable({}, { __index = Session })
Sender.__index = Sender

-- Opens `path` and offers it to the peer under `name`. Returns the session or nil, err.
local function open_sender(ep, peer, sid, path, name)
    local crc, size = M.crc_file(path)
    if not crc then return nil, "Cannot read " .. path end
    local s = new_session(ep, peer, sid, Sender)
    s.path, s.name, s.size, s.crc, s.chunk = path, name, size, crc, ep.opts.chunk
    s.total = (size + s.chunk - 1) // s.chunk
    s.state, s.inflight, s.sacked, s.fast = "offer", {}, {}, {}
    ep:add(s)
    s:send_offer()
    s:arm(s.rto)
    return s
end

function Sender:send_offer()
    self:send({ t = "offer", name = self.name, size = self.size, crc = self.crc,
        chunk = self.chunk, window = self.opts.window })
end

function Sender:send_chunk(seq)
    self:send({ t = "data", seq = seq, data = self.inflight[seq] })
end

-- Sends new chunks while the window has room.
function Sender:fill()
    while self.next < self.total and self.next < self.acked + self.opts.window do
        local data = self.file.read(self.chunk)
        if not data or #data == 0 then return self:finish(false, self.path .. " changed while sending") end
        self.inflight[self.next] = data
        self:send_chunk(self.next)
        self.next = self.next + 1
    end
end

function Sender:progress(acked)
    for seq = self.acked, acked - 1 do self.inflight[seq], self.sacked[seq], self.fast[seq] = nil, nil, nil end
    self.acked, self.tries, self.rto = acked, 0, self.opts.rto
    if self.opts.on_progress then self.opts.on_progress(math.min(acked * self.chunk, self.size), self.size) end
end

function Sender:on_message(msg)
    if msg.t == "accept" and self.state == "offer" then
        local offset = msg.offset
        if not is_count(offset, self.size) or offset % self.chunk ~= 0 then
            return self:abort("bad resume offset")
        end
        self.file = fs.open(self.path, "rb")
        if not self.file then return self:abort("Cannot read " .. self.path) end
        if offset > 0 then self.file.seek("set", offset) end
        self.offset, self.state = offset, "data"
        self.next, self.acked = offset // self.chunk, offset // self.chunk
        self.tries, self.rto = 0, self.opts.rto
        self:fill()
        if not self.done then self:arm(self.rto) end
    elseif msg.t == "ack" and self.state == "data" then
        if is_count(msg.next, self.next) and msg.next > self.acked then
            self:progress(msg.next)
            self:arm(self.rto)
        end
        if type(msg.sack) == "table" then
            local top = -1
            for _, seq in ipairs(msg.sack) do
                if self.inflight[seq] then
                    self.sacked[seq] = true
                    top = math.max(top, seq)
                end
            end
            self:resend_holes(top)
        end
        self:fill()
    elseif msg.t == "done" then
        if msg.ok then self:progress(self.total) end
        self:finish(msg.ok == true, msg.ok ~= true and tostring(msg.msg) or nil)
    elseif msg.t == "error" and msg.msg == UNKNOWN_SESSION then
        -- An offer always opens a session, so during "offer" this answers stale data.
        if self.state == "data" then self:offer_again() end
    elseif msg.t == "error" or msg.t == "abort" then
        self:finish(false, tostring(msg.msg))
    end
end

-- The receiver closed the session (it heard nothing for `idle` seconds, or its server
-- restarted) while this side still had patience left: offer again under the same sid. The
-- receiver resumes from its .part, so nothing already written travels again.
function Sender:offer_again()
    self.reoffers = self.reoffers + 1
    if self.reoffers > self.opts.reoffers then return self:finish(false, UNKNOWN_SESSION) end
    self.file.close()
    self.file, self.state, self.inflight, self.sacked, self.fast = nil, "offer", {}, {}, {}
    self.tries, self.rto = 0, self.opts.rto
    self:send_offer()
    self:arm(self.rto)
end

-- Fast retransmission: the receiver holds chunk `top` but lacks the unacked ones below it,
-- which were most likely lost (messages in range arrive in order). Each is resent at once
-- rather than after the timeout, but only once until the next timeout, because every later
-- ack reports the same hole.
function Sender:resend_holes(top)
    for seq = self.acked, top - 1 do
        if self.inflight[seq] and not self.sacked[seq] and not self.fast[seq] then
            self.fast[seq] = true
            self:send_chunk(seq)
        end
    end
end

-- Retransmits what is neither acked nor selectively acked; with nothing left, a probe
-- asks the receiver to repeat its ack or done.
function Sender:on_timer()
    if not self:timeout() then return end
    if self.state == "offer" then return self:send_offer() end
    self.fast = {}
    local resent = false
    for seq = self.acked, self.next - 1 do
        if self.inflight[seq] and not self.sacked[seq] then
            self:send_chunk(seq)
            resent = true
        end
    end
    if not resent then self:send({ t = "probe" }) end
end

---------------------------------------------------------------------------------------------
-- Receiver: (offer) -> accept -> data/ack ... -> verify, rename -> done.

local Receiver = setmetatable({}, { __index = Session })
Receiver.__index = Receiver

local function valid_offer(msg)
    return is_count(msg.size) and is_count(msg.crc, 0xFFFFFFFF) and is_count(msg.chunk, CHUNK_MAX)
        and msg.chunk > 0 and is_count(msg.window, WINDOW_MAX) and msg.window > 0
end

-- Bytes of `part` that can be kept for this offer (a chunk multiple), preparing the files.
local function resume_offset(part, meta_path, offer)
    local meta = read_meta(meta_path)
    if meta and fs.exists(part) and meta.size == offer.size and meta.crc == offer.crc
        and meta.chunk == offer.chunk and is_count(meta.received) then
        local have = math.min(meta.received, fs.getSize(part))
        local offset = have - have % offer.chunk
        if fs.getSize(part) > offset then truncate(part, offset) end
        return offset
    end
    fs.delete(part)
    fs.delete(meta_path)
    return 0
end

-- Accepts `offer` into `target`; returns the session, or nil and why not.
local function open_receiver(ep, peer, sid, target, offer)
    if not valid_offer(offer) then return nil, "Bad offer" end
    if fs.isReadOnly(target) or fs.isDir(target) then return nil, "Cannot write " .. target end
    local s = new_session(ep, peer, sid, Receiver)
    s.target, s.part, s.meta_path = target, target .. ".part", target .. ".part.meta"
    s.size, s.crc, s.chunk, s.window = offer.size, offer.crc, offer.chunk, offer.window
    s.offset = resume_offset(s.part, s.meta_path, offer)
    local free = fs.getFreeSpace(fs.getDir(target) ~= "" and fs.getDir(target) or "/")
    if type(free) == "number" and free < s.size - s.offset then return nil, "Not enough space" end
    s.received, s.expected, s.buffered = s.offset, s.offset // s.chunk, {}
    s.total = (s.size + s.chunk - 1) // s.chunk
    write_meta(s.meta_path, { size = s.size, crc = s.crc, chunk = s.chunk, received = s.offset })
    s.file = fs.open(s.part, s.offset > 0 and "ab" or "wb")
    if not s.file then return nil, "Cannot write " .. s.part end
    ep:add(s)
    s:send({ t = "accept", offset = s.offset })
    s:arm(s.opts.idle)
    if s.expected == s.total then s:complete() end
    return s
end

function Receiver:send_ack()
    local sack = {}
    for seq in pairs(self.buffered) do sack[#sack + 1] = seq end
    table.sort(sack)
    self:send({ t = "ack", next = self.expected, sack = sack })
end

-- Whole file here: check size and CRC on disk, then move it under its final name.
function Receiver:complete()
    self.file.close()
    self.file = nil
    local crc, size = M.crc_file(self.part)
    local reply
    if crc == self.crc and size == self.size then
        fs.delete(self.target)
        fs.move(self.part, self.target)
        fs.delete(self.meta_path)
        reply = { t = "done", ok = true }
    else
        fs.delete(self.part)
        fs.delete(self.meta_path)
        reply = { t = "done", ok = false, msg = "CRC mismatch" }
    end
    self:send(reply)
    self.reply = reply
    self:finish(reply.ok, reply.msg)
end

function Receiver:on_data(seq, data)
    if math.type(seq) == "integer" and seq >= self.expected and seq < self.expected + self.window
        and seq < self.total and type(data) == "string"
        and #data == (seq == self.total - 1 and self.size - seq * self.chunk or self.chunk) then
        self.buffered[seq] = data
    end
    local wrote = false
    while self.buffered[self.expected] do
        local block = self.buffered[self.expected]
        self.file.write(block)
        self.buffered[self.expected] = nil
        self.expected, self.received, wrote = self.expected + 1, self.received + #block, true
    end
    if wrote then
        self.file.flush()
        write_meta(self.meta_path, { size = self.size, crc = self.crc, chunk = self.chunk, received = self.received })
        if self.opts.on_progress then self.opts.on_progress(self.received, self.size) end
    end
    if self.expected == self.total then return self:complete() end
    self:send_ack()
end

function Receiver:on_message(msg)
    self:arm(self.opts.idle)
    if msg.t == "data" then
        self:on_data(msg.seq, msg.data)
    elseif msg.t == "probe" then
        self:send_ack()
    elseif msg.t == "offer" then -- our accept was lost
        self:send({ t = "accept", offset = self.offset })
    elseif msg.t == "abort" or msg.t == "error" then
        self:finish(false, "aborted by peer: " .. tostring(msg.msg))
    end
end

function Receiver:on_timer() self:finish(false, "peer went silent") end

---------------------------------------------------------------------------------------------
-- Fetcher (client side of a pull): fetch -> (offer) -> becomes a Receiver.

local Fetcher = setmetatable({}, { __index = Session })
Fetcher.__index = Fetcher

function Fetcher:on_message(msg)
    if msg.t == "offer" then
        self:stop_timer()
        local s, err = open_receiver(self.ep, self.peer, self.sid, self.target, msg)
        if s then
            self.ep.client = s -- it took over this session's key
        else
            self:send({ t = "error", msg = err })
            self:finish(false, err)
        end
    elseif msg.t == "error" or msg.t == "abort" then
        self:finish(false, tostring(msg.msg))
    end
end

function Fetcher:on_timer()
    if self:timeout() then self:send({ t = "fetch", name = self.name }) end
end

---------------------------------------------------------------------------------------------
-- Endpoint: routes rednet messages and timers to sessions; `on_new` (server) opens new ones.

local Endpoint = {}
Endpoint.__index = Endpoint

function Endpoint.key(peer, sid) return tostring(peer) .. "/" .. tostring(sid) end

function M.endpoint(opts)
    local merged = {}
    for k, v in pairs(M.defaults) do merged[k] = v end
    for k, v in pairs(opts or {}) do merged[k] = v end
    return setmetatable({ opts = merged, sessions = {}, timers = {}, finished = {} }, Endpoint)
end

function Endpoint:add(s) self.sessions[self.key(s.peer, s.sid)] = s end

-- Receivers remember their final reply for a minute, to repeat it if it was lost.
function Endpoint:ended(s)
    local key = self.key(s.peer, s.sid)
    if self.sessions[key] == s then self.sessions[key] = nil end
    local now = os.clock()
    for k, f in pairs(self.finished) do
        if f.expires <= now then self.finished[k] = nil end
    end
    if s.reply then self.finished[key] = { reply = s.reply, expires = now + 60 } end
    if self.on_end then self.on_end(s) end
end

local REPLIES_NEEDED = { data = true, probe = true, offer = true, fetch = true }

--- Handles one event (as returned by os.pullEventRaw).
function Endpoint:handle(event, a, b, c)
    if event == "rednet_message" and c == M.PROTOCOL and type(b) == "table" and b.sid ~= nil then
        local key = self.key(a, b.sid)
        local s, finished = self.sessions[key], self.finished[key]
        if s then
            -- A failing handler (a full disk, say) ends its session, files closed, not the loop.
            local ok, err = pcall(s.on_message, s, b)
            if not ok then s:abort(tostring(err)) end
        elseif finished and REPLIES_NEEDED[b.t] then
            rednet.send(a, finished.reply, M.PROTOCOL)
        elseif self.on_new and (b.t == "offer" or b.t == "fetch") then
            local ok, err = pcall(self.on_new, a, b)
            if not ok then rednet.send(a, { t = "error", sid = b.sid, msg = tostring(err) }, M.PROTOCOL) end
        elseif b.t == "data" or b.t == "probe" then
            rednet.send(a, { t = "error", sid = b.sid, msg = UNKNOWN_SESSION }, M.PROTOCOL)
        end
    elseif event == "timer" then
        local s = self.timers[a]
        if s then
            self.timers[a], s.timer = nil, nil
            local ok, err = pcall(s.on_timer, s)
            if not ok then s:abort(tostring(err)) end
        end
    elseif event == "terminate" then
        self:close_all("Terminated")
    end
end

function Endpoint:close_all(reason)
    for _, s in pairs(self.sessions) do s:abort(reason) end
end

---------------------------------------------------------------------------------------------
-- Entry points.

-- Runs a client endpoint until its session ends; returns ok, err, info.
local function run_client(ep)
    while not ep.client.done do ep:handle(os.pullEventRaw()) end
    local s = ep.client
    -- A fetching client answers the sender for a while, in case its "done" was lost.
    if s.reply and s.ok then
        local quiet = os.startTimer(ep.opts.linger)
        while true do
            local event, a, b, c = os.pullEventRaw()
            if event == "timer" and a == quiet or event == "terminate" then break end
            if event == "rednet_message" and c == M.PROTOCOL then
                ep:handle(event, a, b, c)
                os.cancelTimer(quiet)
                quiet = os.startTimer(ep.opts.linger)
            end
        end
    end
    return s.ok, s.err, { size = s.size, offset = s.offset or 0, crc = s.crc }
end

local function new_sid() return math.random(1, 2147483647) end

--- Sends local file `path` to computer `peer`, saved there as `name`. Blocks until done.
-- @return ok, err, info {size, offset (where it resumed), crc}
function M.send(peer, path, name, opts)
    local ep = M.endpoint(opts)
    local s, err = open_sender(ep, peer, new_sid(), path, name)
    if not s then return false, err end
    ep.client = s
    return run_client(ep)
end

--- Fetches file `name` from computer `peer` into local `path`. Blocks until done.
function M.fetch(peer, name, path, opts)
    local ep = M.endpoint(opts)
    local s = new_session(ep, peer, new_sid(), Fetcher)
    s.name, s.target = name, path
    ep:add(s)
    ep.client = s
    s:send({ t = "fetch", name = name })
    s:arm(s.rto)
    return run_client(ep)
end

-- A path inside `dir`, or nil: no escaping it, and temporary names are the server's own.
local function confine(dir, name)
    if type(name) ~= "string" or name == "" then return nil end
    local path = fs.combine(dir, name)
    if path == ".." or path:sub(1, 3) == "../" then return nil end
    if dir ~= "" and path:sub(1, #dir + 1) ~= dir .. "/" then return nil end
    if path:match("%.part$") or path:match("%.part%.meta$") or path:match("%.part%.tmp$") then return nil end
    return path
end

--- Serves `dir` forever (until "terminate"): accepts offers into it and answers fetches
-- from it. `opts.log` (a function) hears about each finished transfer.
function M.serve(dir, opts)
    dir = fs.combine(dir or "", "")
    local ep = M.endpoint(opts)
    local log = ep.opts.log or function() end
    local function refuse(peer, sid, msg) rednet.send(peer, { t = "error", sid = sid, msg = msg }, M.PROTOCOL) end
    ep.on_new = function(peer, msg)
        local path = confine(dir, msg.name)
        if not path then return refuse(peer, msg.sid, "Bad file name") end
        local ok, err
        if msg.t == "offer" then
            ok, err = open_receiver(ep, peer, msg.sid, path, msg)
        elseif fs.exists(path) and not fs.isDir(path) then
            ok, err = open_sender(ep, peer, msg.sid, path, msg.name)
        else
            err = "No such file"
        end
        if not ok then refuse(peer, msg.sid, err) end
    end
    ep.on_end = function(s)
        local what = s.kind == Receiver and "received " .. s.target or "sent " .. tostring(s.path)
        log(("%s %s computer %d%s"):format(s.ok and "ok" or "failed", what, s.peer, s.err and (": " .. s.err) or ""))
    end
    while true do
        local event = table.pack(os.pullEventRaw())
        ep:handle(table.unpack(event, 1, event.n))
        if event[1] == "terminate" then return end
    end
end

return M
