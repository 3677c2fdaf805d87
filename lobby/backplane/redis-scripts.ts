/**
 * The Lua scripts of the Redis backplane, one per operation of its link: a write that changes
 * who holds what is one script, so no reader sees half of it. Loaded on every connect, as a
 * restarted Redis has none.
 */

/** Where every key and channel of the lobby lives; the keys are listed at the top of `redis-backplane.ts`. */
export const KEY_PREFIX = "weft:lobby:";

const P = KEY_PREFIX;

const LUA_NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
/** Extends a key's lease, never shortens one another instance set longer. */
const LUA_EXTEND = `local function extend(key, ms) local left = redis.call('PTTL', key) if left >= 0 and left < ms then redis.call('PEXPIRE', key, ms) end end`;

/** By name: the link runs each by its SHA, and by its text when Redis has lost it (`NOSCRIPT`). */
export const SCRIPTS = {
  /**
   * KEYS: node, own nodes hash. ARGV: id, holder, at, record JSON, lease, mode, instance.
   * {1, previous instance or '', seq} when taken; {0, holder's instance} when a newer holds it.
   */
  claim: `
local prev = redis.call('GET', KEYS[1])
local prevInst = ''
if prev then
  prevInst = string.match(prev, '^([^/]+)/') or ''
  if ARGV[6] == 'reclaim' and prev ~= ARGV[2] then
    local ptag, pat = string.match(prev, '/([0-9a-f]+)/(%d+)$')
    local mtag = string.match(ARGV[2], '/([0-9a-f]+)/')
    pat = tonumber(pat) or 0
    local mat = tonumber(ARGV[3])
    if pat > mat or (pat == mat and ptag > mtag) then return {0, prevInst} end
  end
  if prevInst ~= ARGV[7] then redis.call('HDEL', '${P}instance:' .. prevInst .. ':nodes', ARGV[1]) end
end
local seq = redis.call('INCR', '${P}seq')
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. seq .. ' ' .. ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', '${P}nodes', '{"c":"' .. ARGV[2] .. '","s":' .. seq .. ',"n":' .. ARGV[4] .. '}')
return {1, prevInst, seq}`,

  /** KEYS: node, own nodes hash. ARGV: id, holder, record JSON. The registration's seq stays. */
  update: `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
local seq = string.match(redis.call('HGET', KEYS[2], ARGV[1]) or '', '^%S+ (%d+) ')
if not seq then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. seq .. ' ' .. ARGV[3])
redis.call('PUBLISH', '${P}nodes', '{"c":"' .. ARGV[2] .. '","s":' .. seq .. ',"n":' .. ARGV[3] .. '}')
return 1`,

  /** KEYS: node, own nodes hash. ARGV: id, holder, message, room ids... */
  release: `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
for i = 4, #ARGV do redis.call('ZREM', '${P}room:' .. ARGV[i] .. ':guests', ARGV[1]) end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', '${P}nodes', ARGV[3])
return 1`,

  /** KEYS: node. ARGV: id. The entry of whoever holds it. */
  node: `
local h = redis.call('GET', KEYS[1])
if not h then return false end
local inst = string.match(h, '^([^/]+)/')
local v = redis.call('HGET', '${P}instance:' .. inst .. ':nodes', ARGV[1])
if not v or string.sub(v, 1, #h + 1) ~= h .. ' ' then return false end
return v`,

  /** Every live instance's nodes that it still holds. */
  nodes: `
${LUA_NOW}
local out = {}
for _, inst in ipairs(redis.call('ZRANGEBYSCORE', '${P}instances', '(' .. now, '+inf')) do
  local all = redis.call('HGETALL', '${P}instance:' .. inst .. ':nodes')
  for i = 1, #all, 2 do
    local h = redis.call('GET', '${P}node:' .. all[i])
    if h and string.sub(all[i + 1], 1, #h + 1) == h .. ' ' then out[#out + 1] = all[i + 1] end
  end
end
return out`,

  /** KEYS: room, guests. ARGV: id, host, record, instance, lease, created at, visibility. */
  putRoom: `
local host = redis.call('HGET', KEYS[1], 'host')
local result = 'created'
local created = ARGV[6]
if host then
  if host ~= ARGV[2] then return 'taken' end
  result = 'replaced'
  created = redis.call('HGET', KEYS[1], 'created') or created
  local old = redis.call('HGET', KEYS[1], 'instance')
  if old and old ~= ARGV[4] then redis.call('SREM', '${P}instance:' .. old .. ':rooms', ARGV[1]) end
end
redis.call('HSET', KEYS[1], 'host', ARGV[2], 'instance', ARGV[4], 'record', ARGV[3], 'created', created, 'vis', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
local mine = '${P}instance:' .. ARGV[4] .. ':rooms'
redis.call('SADD', mine, ARGV[1])
redis.call('PEXPIRE', mine, ARGV[5])
local hosted = '${P}host:' .. ARGV[2] .. ':rooms'
redis.call('SADD', hosted, ARGV[1])
redis.call('PEXPIRE', hosted, ARGV[5])
return result`,

  /** ARGV: room ids... Each room that is there as [record, created, instance, guests]. */
  rooms: `
${LUA_NOW}
local out = {}
for _, id in ipairs(ARGV) do
  local r = redis.call('HMGET', '${P}room:' .. id, 'record', 'created', 'instance')
  if r[1] then
    out[#out + 1] = {r[1], r[2], r[3], redis.call('ZCOUNT', '${P}room:' .. id .. ':guests', '(' .. now, '+inf')}
  end
end
return out`,

  /** ARGV: host. Its rooms; ids of rooms that are gone leave its set. */
  roomsOf: `
${LUA_NOW}
local key = '${P}host:' .. ARGV[1] .. ':rooms'
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', key)) do
  local r = redis.call('HMGET', '${P}room:' .. id, 'record', 'created', 'instance', 'host')
  if r[1] and r[4] == ARGV[1] then
    out[#out + 1] = {r[1], r[2], r[3], redis.call('ZCOUNT', '${P}room:' .. id .. ':guests', '(' .. now, '+inf')}
  else
    redis.call('SREM', key, id)
  end
end
return out`,

  /** Public rooms of live instances whose host is registered. */
  publicRooms: `
${LUA_NOW}
local out = {}
for _, inst in ipairs(redis.call('ZRANGEBYSCORE', '${P}instances', '(' .. now, '+inf')) do
  for _, id in ipairs(redis.call('SMEMBERS', '${P}instance:' .. inst .. ':rooms')) do
    local r = redis.call('HMGET', '${P}room:' .. id, 'record', 'created', 'instance', 'host', 'vis')
    if r[1] and r[3] == inst and r[5] == 'public' and redis.call('EXISTS', '${P}node:' .. r[4]) == 1 then
      out[#out + 1] = {r[1], r[2], r[3], redis.call('ZCOUNT', '${P}room:' .. id .. ':guests', '(' .. now, '+inf')}
    end
  end
end
return out`,

  /** KEYS: room, guests. ARGV: id. {1, guests} or nil. */
  deleteRoom: `
${LUA_NOW}
local r = redis.call('HMGET', KEYS[1], 'instance', 'host')
if not r[1] then return false end
local guests = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', '${P}instance:' .. r[1] .. ':rooms', ARGV[1])
redis.call('SREM', '${P}host:' .. r[2] .. ':rooms', ARGV[1])
return {1, guests}`,

  /** KEYS: room, guests. ARGV: guest, lease. -1 no room, 1 new, 0 seated already. */
  join: `
${LUA_NOW}
local left = redis.call('PTTL', KEYS[1])
if left < 0 then return -1 end
local had = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0') > now
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], left)
if had then return 0 end
return 1`,

  /** KEYS: guests. ARGV: guest. */
  leave: `return redis.call('ZREM', KEYS[1], ARGV[1])`,

  /** KEYS: guests. */
  guests: `
${LUA_NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')`,

  /** KEYS: node. ARGV: message. Published to the holder's channel: how many heard it. */
  deliver: `
local h = redis.call('GET', KEYS[1])
if not h then return 0 end
return redis.call('PUBLISH', '${P}to:' .. string.match(h, '^([^/]+)/'), ARGV[1])`,

  /** KEYS: counter (without its window). ARGV: window ms. */
  hit: `
${LUA_NOW}
local w = tonumber(ARGV[1])
local key = KEYS[1] .. ':' .. math.floor(now / w)
local c = redis.call('INCR', key)
if c == 1 then redis.call('PEXPIRE', key, 2 * w) end
return c`,

  /**
   * ARGV: instance, lease, node count, [id, holder]..., room count, [id]..., seat count,
   * [room, guest]... Refreshes what the instance holds; returns what it no longer does, the
   * guests of its rooms that lapsed, and the live instances.
   */
  heartbeat: `
${LUA_NOW}
${LUA_EXTEND}
local me, lease = ARGV[1], tonumber(ARGV[2])
local untilT = now + lease
local instances = '${P}instances'
redis.call('ZADD', instances, untilT, me)
redis.call('ZREMRANGEBYSCORE', instances, '-inf', now)
local left = redis.call('PTTL', instances)
if left < lease then redis.call('PEXPIRE', instances, lease) end
redis.call('PEXPIRE', '${P}instance:' .. me .. ':nodes', lease)
redis.call('PEXPIRE', '${P}instance:' .. me .. ':rooms', lease)
local replaced, lapsed, lostRooms, lostSeats, expired = {}, {}, {}, {}, {}
local i = 3
local n = tonumber(ARGV[i])
for k = 1, n do
  local id, holder = ARGV[i + 2 * k - 1], ARGV[i + 2 * k]
  local key = '${P}node:' .. id
  local v = redis.call('GET', key)
  if v == holder then redis.call('PEXPIRE', key, lease)
  elseif v then replaced[#replaced + 1] = id
  else lapsed[#lapsed + 1] = id end
end
i = i + 2 * n + 1
n = tonumber(ARGV[i])
for k = 1, n do
  local id = ARGV[i + k]
  local key = '${P}room:' .. id
  local r = redis.call('HMGET', key, 'instance', 'host')
  if r[1] == me then
    redis.call('PEXPIRE', key, lease)
    local guests = key .. ':guests'
    redis.call('PEXPIRE', guests, lease)
    for _, g in ipairs(redis.call('ZRANGEBYSCORE', guests, '-inf', now)) do
      redis.call('ZREM', guests, g)
      expired[#expired + 1] = id
      expired[#expired + 1] = g
    end
    extend('${P}host:' .. r[2] .. ':rooms', lease)
  else
    lostRooms[#lostRooms + 1] = id
    redis.call('SREM', '${P}instance:' .. me .. ':rooms', id)
  end
end
i = i + n + 1
n = tonumber(ARGV[i])
for k = 1, n do
  local room, guest = ARGV[i + 2 * k - 1], ARGV[i + 2 * k]
  local key = '${P}room:' .. room
  local roomLeft = redis.call('PTTL', key)
  if roomLeft >= 0 then
    local guests = key .. ':guests'
    redis.call('ZADD', guests, untilT, guest)
    redis.call('PEXPIRE', guests, roomLeft)
  else
    lostSeats[#lostSeats + 1] = room
    lostSeats[#lostSeats + 1] = guest
  end
end
return {replaced, lapsed, lostRooms, lostSeats, expired, redis.call('ZRANGEBYSCORE', instances, '(' .. now, '+inf')}`,

  /** ARGV: instance. Its nodes out (each published as left), its instance entry out. */
  goodbye: `
local me = ARGV[1]
local hash = '${P}instance:' .. me .. ':nodes'
local all = redis.call('HKEYS', hash)
for _, id in ipairs(all) do
  local key = '${P}node:' .. id
  local h = redis.call('GET', key)
  if h and string.sub(h, 1, #me + 1) == me .. '/' then
    redis.call('DEL', key)
    redis.call('PUBLISH', '${P}nodes', '{"l":"' .. id .. '","h":"' .. h .. '"}')
  end
end
redis.call('DEL', hash)
redis.call('ZREM', '${P}instances', me)
return #all`,
} as const;

/** A script the link can run. */
export type ScriptName = keyof typeof SCRIPTS;
