/**
 * The backplane of a lobby run as several instances over one Redis (docs/architecture.md, "The lobby").
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
 * instead of queueing without bound), and `LeasedBackplane` with its `store-session.ts` owns the
 * rest: backoff with jitter, subscribing anew, publishing this instance's state again. A watchdog drops a connection whose
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
import { NODE_ID } from "../../protocol/primitives.ts";
import {
  BackplaneUnavailableError,
  type PutRoomResult,
  type RoomRecord,
  type SharedRoom,
} from "./backplane.ts";
import { LeasedBackplane, type LeasedBackplaneOptions } from "./leased-backplane.ts";
import { heldJson, nodesMessage, parseEntry, parseRoom, roomJson } from "./redis-records.ts";
import { KEY_PREFIX, SCRIPTS, type ScriptName } from "./redis-scripts.ts";
import type {
  Beat,
  Claim,
  HeldEntry,
  Holder,
  Holdings,
  LinkEvents,
  OwnNode,
  StoreLink,
} from "./store-link.ts";

// The scripts name every key, so the prefix lives with them; what looks into Redis reads it here.
export { KEY_PREFIX };

const P = KEY_PREFIX;

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
