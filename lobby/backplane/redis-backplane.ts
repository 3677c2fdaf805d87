/**
 * The backplane of a lobby run as several instances over one Redis (DESIGN.md section 14).
 *
 * Why Bun's built-in client (`RedisClient` from "bun"), tried on Bun 1.4.5 against a real
 * redis-server 7.0, run from source and from a `bun build --compile` binary alike:
 *  - It is in the runtime: nothing to bundle or vendor, and it works inside the compiled binary
 *    unchanged (connect, SUBSCRIBE, PUBLISH, EVAL, reconnecting all ran in a compiled program).
 *  - SUBSCRIBE and PUBLISH work, a listener per subscription; a subscribed connection takes
 *    nothing else, so commands go on a second connection. PSUBSCRIBE exists only as a raw
 *    command with no listener: unused here, as every instance has a channel of its own.
 *  - Messages are strings only (buffer subscriptions are not implemented), so binary relayed
 *    frames cross as base64.
 *  - Its own reconnecting (50 ms doubling to 2 s, `maxRetries` 20) does not restore
 *    subscriptions: after Redis restarts, the client is connected and hears nothing, and
 *    subscribing again in `onconnect` adds the listener twice. While it retries, `onclose` is
 *    not called and `connected` is only polled, so an outage is not seen when it starts.
 *  - Commands have no timeout: against a stopped (SIGSTOP) server they wait forever.
 * So the client's reconnecting is off (`autoReconnect: false`, where a drop calls `onclose` at
 * once and fails what is in flight), the offline queue is off (a call while down fails at once
 * instead of queueing without bound), and `LeasedBackplane` owns the rest: backoff with jitter,
 * subscribing anew, publishing this instance's state again. A watchdog drops a connection whose
 * oldest command is older than `commandTimeoutMs`. A wrong password and an unreachable server
 * both surface as "Connection closed"; the startup line says what was tried.
 *
 * Keys (all under `weft:lobby:`; nothing private: no key, no token, only token hashes):
 *   instances                zset  instance → lease end (Redis clock, ms)
 *   seq                      str   claims taken so far: orders registrations
 *   instance:<i>:nodes       hash  node id → "<holder> <seq> <record JSON>" (leased)
 *   instance:<i>:rooms       set   room ids the instance holds          (leased)
 *   node:<id>                str   holder "<instance>/<tag>/<at>"       (leased)
 *   room:<id>                hash  host, instance, created, vis, record (leased)
 *   room:<id>:guests         zset  guest → its place's lease end       (leased)
 *   host:<id>:rooms          set   room ids the node hosts              (leased)
 *   rate:<key>:<window>      str   a counter                            (two windows)
 * Channels: `to:<instance>` (frames for that instance's nodes), `nodes` (every node change).
 * Every write that changes who holds what is one Lua script, so no reader sees half of it.
 */
import { RedisClient } from "bun";
import { z } from "zod";
import { NODE_ID } from "../../protocol/primitives.ts";
import {
  BackplaneUnavailableError,
  type HeldNode,
  type NodeRecord,
  type PutRoomResult,
  type RoomRecord,
  type SharedRoom,
} from "./backplane.ts";
import {
  type Beat,
  type Claim,
  type HeldEntry,
  type Holder,
  type Holdings,
  LeasedBackplane,
  type LeasedBackplaneOptions,
  type LinkEvents,
  type OwnNode,
  type StoreLink,
} from "./leased-backplane.ts";

export const KEY_PREFIX = "weft:lobby:";

export interface RedisBackplaneOptions extends LeasedBackplaneOptions {
  /** `redis://` or `rediss://`, with a password and a database number if need be. */
  url: string;
  /** A connection attempt past this fails (default 2 s). */
  connectTimeoutMs?: number;
  /** A command unanswered past this drops the connection: the backplane is degraded (default 3 s). */
  commandTimeoutMs?: number;
}

export class RedisBackplane extends LeasedBackplane {
  constructor(opts: RedisBackplaneOptions) {
    super(new RedisLink(opts), opts);
  }
}

/** Where `url` points, without its password: what a log line or an error may say. */
export function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ""}`;
  } catch {
    return "an unparsable Redis URL";
  }
}

// ---- what Redis holds, parsed on the way in ----

const nodeRecord = z.strictObject({
  nodeId: z.string().regex(NODE_ID),
  publicKey: z.string().max(64),
  name: z.string().max(256),
  capabilities: z.array(z.string().max(64)).max(64),
  addresses: z.array(z.string().max(512)).max(32),
  listed: z.boolean(),
  since: z.number().int().nonnegative(),
  instance: z.string(),
});

const roomBody = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  name: z.string().max(256),
  host: z.string().regex(NODE_ID),
  hostName: z.string().max(256),
  visibility: z.enum(["public", "unlisted"]),
  policy: z.enum(["open", "token"]),
  tokenHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

const nodesMessage = z.union([
  z.strictObject({ c: z.string(), s: z.number().int().nonnegative(), n: nodeRecord }),
  z.strictObject({ l: z.string().regex(NODE_ID), h: z.string() }),
]);

/** `"<holder> <seq> <record JSON>"`, as a node is kept in its instance's hash. */
function parseEntry(value: unknown): HeldEntry | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\S+) (\d+) /.exec(value);
  if (!m) return undefined;
  try {
    const node = nodeRecord.safeParse(JSON.parse(value.slice(m[0].length)));
    return node.success ? { node: node.data, holder: m[1]!, seq: Number(m[2]) } : undefined;
  } catch {
    return undefined;
  }
}

/** `[record, created, instance, members]` as the room scripts return a room. */
function parseRoom(value: unknown): SharedRoom | undefined {
  if (!Array.isArray(value) || value.length < 4) return undefined;
  const [record, created, instance, members] = value as unknown[];
  if (typeof record !== "string" || typeof instance !== "string") return undefined;
  try {
    const body = roomBody.safeParse(JSON.parse(record));
    if (!body.success) return undefined;
    const { tokenHash, ...rest } = body.data;
    return {
      ...rest,
      tokenHash,
      createdAt: Number(created),
      instance,
      members: 1 + Number(members),
    };
  } catch {
    return undefined;
  }
}

function heldJson(instance: string, record: NodeRecord): string {
  const held: HeldNode = {
    nodeId: record.nodeId,
    publicKey: record.publicKey,
    name: record.name,
    capabilities: [...record.capabilities],
    addresses: [...record.addresses],
    listed: record.listed,
    since: record.since,
    instance,
  };
  return JSON.stringify(held);
}

function roomJson(room: RoomRecord): string {
  const body: z.infer<typeof roomBody> = {
    id: room.id,
    name: room.name,
    host: room.host,
    hostName: room.hostName,
    visibility: room.visibility,
    policy: room.policy,
    ...(room.tokenHash !== undefined ? { tokenHash: room.tokenHash } : {}),
  };
  return JSON.stringify(body);
}

// ---- scripts ----

const P = KEY_PREFIX;

const LUA_NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
/** Extends a key's lease, never shortens one another instance set longer. */
const LUA_EXTEND = `local function extend(key, ms) local left = redis.call('PTTL', key) if left >= 0 and left < ms then redis.call('PEXPIRE', key, ms) end end`;

const SCRIPTS = {
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

type ScriptName = keyof typeof SCRIPTS;

/** Holdings refreshed per script call at most, so one refresh never holds Redis for long. */
const HEARTBEAT_CHUNK = 500;

/** Bun's connection errors (`ERR_REDIS_CONNECTION_CLOSED`, …) and server replies that mean "not now". */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && code.startsWith("ERR_REDIS_") && code !== "ERR_REDIS_SERVER_ERROR") {
    return true;
  }
  const message = err instanceof Error ? err.message : "";
  return /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|OOM|NOAUTH|WRONGPASS|MISCONF)\b/.test(message);
}

class RedisLink implements StoreLink {
  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  #cmd: RedisClient | undefined;
  #sub: RedisClient | undefined;
  #events: LinkEvents | undefined;
  #shas = new Map<ScriptName, string>();
  /** Commands in flight and when each was sent: the first is the oldest. */
  readonly #inFlight = new Map<number, number>();
  #nextCommand = 0;
  #watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(opts: RedisBackplaneOptions) {
    this.#url = opts.url;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 2_000;
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? 3_000;
  }

  async connect(events: LinkEvents): Promise<void> {
    this.disconnect();
    const options = {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: this.#connectTimeoutMs,
    };
    const cmd = new RedisClient(this.#url, options);
    const sub = new RedisClient(this.#url, options);
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
    } catch (err) {
      cmd.close();
      sub.close();
      const why = err instanceof Error ? err.message : String(err);
      throw new BackplaneUnavailableError(`cannot reach Redis at ${redisTarget(this.#url)} (${why})`);
    }
    this.#cmd = cmd;
    this.#sub = sub;
    this.#events = events;
    const lost = () => {
      if (this.#events !== events) return;
      this.disconnect();
      events.lost();
    };
    cmd.onclose = lost;
    sub.onclose = lost;
    const tick = Math.max(50, Math.floor(this.#commandTimeoutMs / 4));
    this.#watchdog = setInterval(() => {
      const oldest = this.#inFlight.values().next().value;
      if (oldest !== undefined && performance.now() - oldest > this.#commandTimeoutMs) lost();
    }, tick);
    this.#watchdog.unref?.();
    try {
      // After a restart Redis has no scripts: loaded on every connect.
      for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
        this.#shas.set(name, String(await this.#send(cmd, "SCRIPT", ["LOAD", SCRIPTS[name]])));
      }
      const channels = [`${P}to:${events.instance}`, `${P}nodes`];
      const id = this.#nextCommand++;
      this.#inFlight.set(id, performance.now());
      try {
        await sub.subscribe(channels, (message, channel) => this.#received(events, message, channel));
      } finally {
        this.#inFlight.delete(id);
      }
    } catch (err) {
      this.disconnect();
      if (err instanceof BackplaneUnavailableError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new BackplaneUnavailableError(
        `Redis at ${redisTarget(this.#url)} did not take the lobby's scripts (${why})`,
      );
    }
  }

  disconnect(): void {
    const { cmd, sub } = { cmd: this.#cmd, sub: this.#sub };
    this.#cmd = undefined;
    this.#sub = undefined;
    this.#events = undefined;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    this.#inFlight.clear();
    for (const client of [cmd, sub]) {
      if (!client) continue;
      client.onclose = null;
      client.close();
    }
  }

  #received(events: LinkEvents, message: string, channel: string): void {
    if (this.#events !== events) return;
    try {
      if (channel === `${P}nodes`) {
        const parsed = nodesMessage.safeParse(JSON.parse(message));
        if (!parsed.success) return;
        const m = parsed.data;
        events.message(
          "c" in m
            ? { kind: "changed", holder: m.c, seq: m.s, node: m.n }
            : { kind: "left", holder: m.h, nodeId: m.l },
        );
        return;
      }
      const to = message.slice(1, 17);
      if (!NODE_ID.test(to)) return;
      const body = message.slice(17);
      if (message[0] === "t") events.message({ kind: "delivery", to, frame: body });
      else if (message[0] === "b") {
        events.message({ kind: "delivery", to, frame: new Uint8Array(Buffer.from(body, "base64")) });
      }
    } catch {
      // A message that does not parse is not from a lobby: dropped.
    }
  }

  /** Runs a script on the command connection. */
  async #run(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const cmd = this.#cmd;
    if (!cmd) throw new BackplaneUnavailableError("not connected to Redis");
    const argv = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.#send(cmd, "EVALSHA", [this.#shas.get(name) ?? "", ...argv]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return await this.#send(cmd, "EVAL", [SCRIPTS[name], ...argv]);
    }
  }

  /** One command, with the watchdog's eye on it; what means "Redis is not there" becomes `BackplaneUnavailableError`. */
  async #send(cmd: RedisClient, command: string, args: string[]): Promise<unknown> {
    const id = this.#nextCommand++;
    this.#inFlight.set(id, performance.now());
    try {
      return await cmd.send(command, args);
    } catch (err) {
      if (isUnavailable(err)) throw new BackplaneUnavailableError(`Redis: ${(err as Error).message}`);
      throw err;
    } finally {
      this.#inFlight.delete(id);
    }
  }

  #ev(): LinkEvents {
    if (!this.#events) throw new BackplaneUnavailableError("not connected to Redis");
    return this.#events;
  }

  async claim(own: OwnNode, mode: "register" | "reclaim"): Promise<Claim> {
    const ev = this.#ev();
    const id = own.record.nodeId;
    const r = (await this.#run(
      "claim",
      [`${P}node:${id}`, `${P}instance:${ev.instance}:nodes`],
      [id, own.holder, own.at, heldJson(ev.instance, own.record), ev.leaseMs, mode, ev.instance],
    )) as [number, string, number?];
    if (r[0] !== 1) return { taken: false };
    return { taken: true, previous: r[1] === "" ? undefined : r[1], seq: Number(r[2]) };
  }

  async update(own: OwnNode): Promise<boolean> {
    const ev = this.#ev();
    const id = own.record.nodeId;
    const r = await this.#run(
      "update",
      [`${P}node:${id}`, `${P}instance:${ev.instance}:nodes`],
      [id, own.holder, heldJson(ev.instance, own.record)],
    );
    return r === 1;
  }

  async release(nodeId: string, holder: Holder, seats: readonly string[]): Promise<void> {
    const ev = this.#ev();
    await this.#run(
      "release",
      [`${P}node:${nodeId}`, `${P}instance:${ev.instance}:nodes`],
      [nodeId, holder, `{"l":"${nodeId}","h":"${holder}"}`, ...seats],
    );
  }

  async node(nodeId: string): Promise<HeldEntry | undefined> {
    return parseEntry(await this.#run("node", [`${P}node:${nodeId}`], [nodeId]));
  }

  async nodes(): Promise<HeldEntry[]> {
    const r = (await this.#run("nodes", [], [])) as unknown[];
    const out: HeldEntry[] = [];
    for (const v of r) {
      const e = parseEntry(v);
      if (e) out.push(e);
    }
    return out;
  }

  async putRoom(room: RoomRecord): Promise<PutRoomResult> {
    const ev = this.#ev();
    const r = await this.#run(
      "putRoom",
      [`${P}room:${room.id}`, `${P}room:${room.id}:guests`],
      [room.id, room.host, roomJson(room), ev.instance, ev.leaseMs, room.createdAt, room.visibility],
    );
    if (r === "created" || r === "replaced" || r === "taken") return r;
    throw new Error(`unexpected putRoom reply ${String(r)}`);
  }

  async room(id: string): Promise<SharedRoom | undefined> {
    return (await this.#rooms("rooms", [id]))[0];
  }

  async #rooms(name: "rooms" | "roomsOf" | "publicRooms", args: string[]): Promise<SharedRoom[]> {
    const r = (await this.#run(name, [], args)) as unknown[];
    const out: SharedRoom[] = [];
    for (const v of r) {
      const room = parseRoom(v);
      if (room) out.push(room);
    }
    return out;
  }

  roomsOf(host: string): Promise<SharedRoom[]> {
    return this.#rooms("roomsOf", [host]);
  }

  async publicRooms(max: number): Promise<SharedRoom[]> {
    const all = await this.#rooms("publicRooms", []);
    return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, max);
  }

  async deleteRoom(id: string): Promise<string[] | undefined> {
    const r = await this.#run("deleteRoom", [`${P}room:${id}`, `${P}room:${id}:guests`], [id]);
    if (!Array.isArray(r)) return undefined;
    return (r[1] as unknown[]).map(String);
  }

  async join(id: string, guest: string): Promise<boolean | undefined> {
    const ev = this.#ev();
    const r = await this.#run("join", [`${P}room:${id}`, `${P}room:${id}:guests`], [guest, ev.leaseMs]);
    if (r === -1) return undefined;
    return r === 1;
  }

  async leave(id: string, guest: string): Promise<boolean> {
    return (await this.#run("leave", [`${P}room:${id}:guests`], [guest])) === 1;
  }

  async guests(id: string): Promise<string[]> {
    return ((await this.#run("guests", [`${P}room:${id}:guests`], [])) as unknown[]).map(String);
  }

  async deliver(to: string, frame: string | Uint8Array): Promise<boolean> {
    if (!NODE_ID.test(to)) return false;
    const message =
      typeof frame === "string"
        ? `t${to}${frame}`
        : `b${to}${Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString("base64")}`;
    return ((await this.#run("deliver", [`${P}node:${to}`], [message])) as number) > 0;
  }

  async hit(key: string, windowMs: number): Promise<number> {
    return Number(await this.#run("hit", [`${P}rate:${key}`], [windowMs]));
  }

  async heartbeat(holdings: Holdings): Promise<Beat> {
    const ev = this.#ev();
    const beat = {
      replaced: [] as string[],
      lapsed: [] as string[],
      lostRooms: [] as string[],
      lostSeats: [] as Array<readonly [string, string]>,
      expiredGuests: [] as Array<readonly [string, string]>,
      live: [] as string[],
    };
    let nodes = holdings.nodes;
    let rooms = holdings.rooms;
    let seats = holdings.seats;
    do {
      const n = nodes.slice(0, HEARTBEAT_CHUNK);
      const r = rooms.slice(0, HEARTBEAT_CHUNK - n.length);
      const s = seats.slice(0, HEARTBEAT_CHUNK - n.length - r.length);
      nodes = nodes.slice(n.length);
      rooms = rooms.slice(r.length);
      seats = seats.slice(s.length);
      const args: (string | number)[] = [ev.instance, ev.leaseMs, n.length];
      for (const [id, holder] of n) args.push(id, holder);
      args.push(r.length, ...r, s.length);
      for (const [room, guest] of s) args.push(room, guest);
      const reply = (await this.#run("heartbeat", [], args)) as string[][];
      const [replaced, lapsed, lostRooms, lostSeats, expired, live] = reply;
      beat.replaced.push(...(replaced ?? []));
      beat.lapsed.push(...(lapsed ?? []));
      beat.lostRooms.push(...(lostRooms ?? []));
      beat.lostSeats.push(...pairs(lostSeats ?? []));
      beat.expiredGuests.push(...pairs(expired ?? []));
      beat.live = live ?? [];
    } while (nodes.length + rooms.length + seats.length > 0);
    return beat;
  }

  async goodbye(): Promise<void> {
    await this.#run("goodbye", [], [this.#ev().instance]);
  }
}

function pairs(flat: readonly string[]): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
