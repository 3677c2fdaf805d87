import {
  BackplaneUnavailableError,
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
  type LinkEvents,
  newerHolder,
  type OwnNode,
  parseHolder,
  type StoreMessage,
} from "./store-link.ts";

/** What a store sees of a connection attached to it (`MemoryLink`, in `memory-backplane.ts`). */
export interface AttachedLink {
  /** The instance it connects; undefined once it is disconnected. */
  readonly instance: string | undefined;
  /** The store went away under this connection. */
  dropped(): void;
  /** A message for the instance, as Redis pub/sub would bring it. */
  push(msg: StoreMessage): void;
}

interface NodeEntry {
  holder: Holder;
  seq: number;
  instance: string;
  record: NodeRecord;
  expires: number;
}

interface RoomEntry {
  record: RoomRecord;
  instance: string;
  expires: number;
  /** Guest → when its place lapses. */
  guests: Map<string, number>;
}

/**
 * State shared by the memory backplanes given it. Every write carries a lease, as in Redis, and
 * reads see only what has not lapsed. `fail` and `recover` stand for a Redis stopped and started
 * again empty.
 */
export class MemoryStore {
  #up = true;
  /** Claims taken, in order: what tells a newer registration from an older one. */
  #seq = 0;
  readonly #links = new Set<AttachedLink>();
  readonly #instances = new Map<string, number>();
  readonly #nodes = new Map<string, NodeEntry>();
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #counters = new Map<string, { count: number; expires: number }>();

  get up(): boolean {
    return this.#up;
  }

  /** The store goes away: every connection drops and calls reject until `recover`. */
  fail(): void {
    this.#up = false;
    const links = [...this.#links];
    this.#links.clear();
    for (const link of links) link.dropped();
  }

  /** The store is back, empty, as a Redis restarted without persistence. */
  recover(): void {
    this.#instances.clear();
    this.#nodes.clear();
    this.#rooms.clear();
    this.#counters.clear();
    this.#seq = 0;
    this.#up = true;
  }

  /** Whatever the store holds, not lapsed, that names `text`: one line per entry. For tests. */
  mentions(text: string): string[] {
    const now = Date.now();
    this.#purge(now);
    const lines: string[] = [];
    for (const [i] of this.#instances) lines.push(`instance ${i}`);
    for (const [id, e] of this.#nodes) lines.push(`node ${id} ${e.holder} ${JSON.stringify(e.record)}`);
    for (const [id, r] of this.#rooms) {
      lines.push(`room ${id} ${r.instance} ${JSON.stringify(r.record)}`);
      for (const [g] of r.guests) lines.push(`guest ${id} ${g}`);
    }
    for (const [k] of this.#counters) lines.push(`counter ${k}`);
    return lines.filter((l) => l.includes(text));
  }

  // ---- what links call; `check` first, as a call to a stopped Redis fails ----

  attach(link: AttachedLink): void {
    this.#check();
    this.#links.add(link);
  }

  detach(link: AttachedLink): void {
    this.#links.delete(link);
  }

  claim(ev: LinkEvents, own: OwnNode, mode: "register" | "reclaim"): Claim {
    this.#check();
    const now = Date.now();
    const id = own.record.nodeId;
    const entry = this.#liveNode(id, now);
    if (mode === "reclaim" && entry && entry.holder !== own.holder) {
      const theirs = parseHolder(entry.holder);
      if (theirs && newerHolder(theirs, parseHolder(own.holder)!)) return { taken: false };
    }
    const seq = ++this.#seq;
    this.#nodes.set(id, {
      holder: own.holder,
      seq,
      instance: ev.instance,
      record: own.record,
      expires: now + ev.leaseMs,
    });
    this.#publish({
      kind: "changed",
      holder: own.holder,
      seq,
      node: { ...own.record, instance: ev.instance },
    });
    return { taken: true, previous: entry?.instance, seq };
  }

  update(ev: LinkEvents, own: OwnNode): boolean {
    this.#check();
    const entry = this.#liveNode(own.record.nodeId, Date.now());
    if (entry?.holder !== own.holder) return false;
    entry.record = own.record;
    this.#publish({
      kind: "changed",
      holder: own.holder,
      seq: entry.seq,
      node: { ...own.record, instance: ev.instance },
    });
    return true;
  }

  release(nodeId: string, holder: Holder, seats: readonly string[]): void {
    this.#check();
    for (const room of seats) this.#rooms.get(room)?.guests.delete(nodeId);
    if (this.#nodes.get(nodeId)?.holder !== holder) return;
    this.#nodes.delete(nodeId);
    this.#publish({ kind: "left", holder, nodeId });
  }

  node(nodeId: string): HeldEntry | undefined {
    this.#check();
    const entry = this.#liveNode(nodeId, Date.now());
    return (
      entry && { node: { ...entry.record, instance: entry.instance }, holder: entry.holder, seq: entry.seq }
    );
  }

  nodes(): HeldEntry[] {
    this.#check();
    const now = Date.now();
    const out: HeldEntry[] = [];
    for (const e of this.#nodes.values()) {
      if (e.expires > now)
        out.push({ node: { ...e.record, instance: e.instance }, holder: e.holder, seq: e.seq });
    }
    return out;
  }

  putRoom(ev: LinkEvents, room: RoomRecord): PutRoomResult {
    this.#check();
    const now = Date.now();
    const existing = this.#liveRoom(room.id, now);
    if (existing && existing.record.host !== room.host) return "taken";
    const record = existing ? { ...room, createdAt: existing.record.createdAt } : room;
    this.#rooms.set(room.id, {
      record,
      instance: ev.instance,
      expires: now + ev.leaseMs,
      guests: existing?.guests ?? new Map(),
    });
    return existing ? "replaced" : "created";
  }

  room(id: string): SharedRoom | undefined {
    this.#check();
    const now = Date.now();
    const r = this.#liveRoom(id, now);
    return r && shared(r, now);
  }

  roomsOf(host: string): SharedRoom[] {
    this.#check();
    const now = Date.now();
    const out: SharedRoom[] = [];
    for (const r of this.#rooms.values())
      if (r.expires > now && r.record.host === host) out.push(shared(r, now));
    return out;
  }

  publicRooms(max: number): SharedRoom[] {
    this.#check();
    const now = Date.now();
    const out: SharedRoom[] = [];
    for (const r of this.#rooms.values()) {
      if (r.expires <= now || r.record.visibility !== "public") continue;
      if (!this.#liveNode(r.record.host, now)) continue;
      out.push(shared(r, now));
    }
    return out.sort((a, b) => b.createdAt - a.createdAt).slice(0, max);
  }

  deleteRoom(id: string): string[] | undefined {
    this.#check();
    const now = Date.now();
    const r = this.#liveRoom(id, now);
    this.#rooms.delete(id);
    return r && liveGuests(r, now);
  }

  join(ev: LinkEvents, id: string, guest: string): boolean | undefined {
    this.#check();
    const now = Date.now();
    const r = this.#liveRoom(id, now);
    if (!r) return undefined;
    const had = (r.guests.get(guest) ?? 0) > now;
    r.guests.set(guest, now + ev.leaseMs);
    return !had;
  }

  leave(id: string, guest: string): boolean {
    this.#check();
    return this.#liveRoom(id, Date.now())?.guests.delete(guest) ?? false;
  }

  guests(id: string): string[] {
    this.#check();
    const now = Date.now();
    const r = this.#liveRoom(id, now);
    return r ? liveGuests(r, now) : [];
  }

  deliver(to: string, frame: string | Uint8Array): boolean {
    this.#check();
    const entry = this.#liveNode(to, Date.now());
    if (!entry) return false;
    for (const link of this.#links) {
      if (link.instance !== entry.instance) continue;
      // A copy, as the wire would make: the sender may reuse its buffer once this returns.
      const copy = typeof frame === "string" ? frame : frame.slice();
      link.push({ kind: "delivery", to, frame: copy });
      return true;
    }
    return false;
  }

  hit(key: string, windowMs: number): number {
    this.#check();
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const k = `${key}:${window}`;
    let c = this.#counters.get(k);
    if (!c || c.expires <= now) {
      c = { count: 0, expires: (window + 2) * windowMs };
      this.#counters.set(k, c);
    }
    c.count += 1;
    return c.count;
  }

  heartbeat(ev: LinkEvents, holdings: Holdings): Beat {
    this.#check();
    const now = Date.now();
    const until = now + ev.leaseMs;
    this.#instances.set(ev.instance, until);
    this.#purge(now);
    const replaced: string[] = [];
    const lapsed: string[] = [];
    for (const [id, holder] of holdings.nodes) {
      const entry = this.#nodes.get(id);
      if (entry?.holder === holder) entry.expires = until;
      else if (entry) replaced.push(id);
      else lapsed.push(id);
    }
    const lostRooms: string[] = [];
    const expiredGuests: Array<readonly [string, string]> = [];
    for (const id of holdings.rooms) {
      const r = this.#rooms.get(id);
      if (r?.instance !== ev.instance) {
        lostRooms.push(id);
        continue;
      }
      r.expires = until;
      for (const [g, expires] of r.guests) {
        if (expires > now) continue;
        r.guests.delete(g);
        expiredGuests.push([id, g]);
      }
    }
    const lostSeats: Array<readonly [string, string]> = [];
    for (const [room, guest] of holdings.seats) {
      const r = this.#rooms.get(room);
      if (r) r.guests.set(guest, until);
      else lostSeats.push([room, guest]);
    }
    return { replaced, lapsed, lostRooms, lostSeats, expiredGuests, live: [...this.#instances.keys()] };
  }

  goodbye(ev: LinkEvents): void {
    this.#check();
    this.#instances.delete(ev.instance);
    for (const [id, e] of [...this.#nodes]) {
      if (e.instance !== ev.instance) continue;
      this.#nodes.delete(id);
      this.#publish({ kind: "left", holder: e.holder, nodeId: id });
    }
  }

  #check(): void {
    if (!this.#up) throw new BackplaneUnavailableError("the shared store is down");
  }

  #liveNode(id: string, now: number): NodeEntry | undefined {
    const e = this.#nodes.get(id);
    return e && e.expires > now ? e : undefined;
  }

  #liveRoom(id: string, now: number): RoomEntry | undefined {
    const r = this.#rooms.get(id);
    return r && r.expires > now ? r : undefined;
  }

  /** Every connected instance hears it, the one it came from too, as Redis pub/sub would do. */
  #publish(msg: StoreMessage): void {
    for (const link of this.#links) link.push(msg);
  }

  #purge(now: number): void {
    for (const [i, until] of this.#instances) if (until <= now) this.#instances.delete(i);
    for (const [id, e] of this.#nodes) if (e.expires <= now) this.#nodes.delete(id);
    for (const [id, r] of this.#rooms) if (r.expires <= now) this.#rooms.delete(id);
    for (const [k, c] of this.#counters) if (c.expires <= now) this.#counters.delete(k);
  }
}

function liveGuests(r: RoomEntry, now: number): string[] {
  const out: string[] = [];
  for (const [g, expires] of r.guests) if (expires > now) out.push(g);
  return out;
}

function shared(r: RoomEntry, now: number): SharedRoom {
  return { ...r.record, instance: r.instance, members: 1 + liveGuests(r, now).length };
}
