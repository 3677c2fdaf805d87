import type { RoomSummary } from "../protocol/lobby.ts";
import type { RoomRecord, SharedRoom } from "./backplane/backplane.ts";

/**
 * The rooms this instance made or restored, by id and by host. Rooms live in the backplane,
 * shared by every instance; this is what one instance answers for: the count in `/health`, and
 * the hosts whose going away starts a grace here (their rooms close at its end). An entry may
 * outlive its room when another instance ended it or its host restored it elsewhere; the host's
 * next room request or the end of a grace puts it right.
 */
export class HeldRooms {
  readonly #rooms = new Map<string, RoomRecord>();
  readonly #byHost = new Map<string, Set<string>>();

  get size(): number {
    return this.#rooms.size;
  }

  get(id: string): RoomRecord | undefined {
    return this.#rooms.get(id);
  }

  hostedBy(host: string): RoomRecord[] {
    const ids = this.#byHost.get(host);
    if (!ids) return [];
    const out: RoomRecord[] = [];
    for (const id of ids) {
      const room = this.#rooms.get(id);
      if (room) out.push(room);
    }
    return out;
  }

  countHostedBy(host: string): number {
    return this.#byHost.get(host)?.size ?? 0;
  }

  /** Adds a room, or replaces the record of one already here. */
  add(room: RoomRecord): void {
    const before = this.#rooms.get(room.id);
    if (before && before.host !== room.host) this.remove(room.id);
    this.#rooms.set(room.id, room);
    let ids = this.#byHost.get(room.host);
    if (!ids) {
      ids = new Set();
      this.#byHost.set(room.host, ids);
    }
    ids.add(room.id);
  }

  remove(id: string): RoomRecord | undefined {
    const room = this.#rooms.get(id);
    if (!room) return undefined;
    this.#rooms.delete(id);
    const ids = this.#byHost.get(room.host);
    ids?.delete(id);
    if (ids?.size === 0) this.#byHost.delete(room.host);
    return room;
  }

  /**
   * `host`'s rooms as the backplane has them now: those another instance holds or that are gone
   * leave this index, and those this instance holds are kept with their latest record.
   */
  reconcile(host: string, rooms: readonly SharedRoom[], instance: string): void {
    const here = new Set<string>();
    for (const room of rooms) {
      if (room.instance !== instance) continue;
      here.add(room.id);
      this.add(recordOf(room));
    }
    for (const room of this.hostedBy(host)) if (!here.has(room.id)) this.remove(room.id);
  }
}

/** How long a listing of public rooms is served before it is read again from the backplane. */
export const ROOM_LISTING_MS = 1_000;

/**
 * The public listing, read from the backplane and kept for `ROOM_LISTING_MS`: a wave of
 * `list_rooms` (or of registrations, which carry it) costs one read, not one per request. A change
 * made on this instance (a room made, closed or joined, a host gone or back) drops it at once;
 * another instance's changes show within the interval.
 */
export class RoomListing {
  readonly #read: () => Promise<SharedRoom[]>;
  readonly #ttlMs: number;
  #fresh: RoomSummary[] | undefined;
  #readAt = 0;
  /** What the last read found, served when the backplane cannot be read. */
  #last: RoomSummary[] = [];
  #generation = 0;
  #reading: { generation: number; done: Promise<RoomSummary[]> } | undefined;

  constructor(read: () => Promise<SharedRoom[]>, ttlMs = ROOM_LISTING_MS) {
    this.#read = read;
    this.#ttlMs = ttlMs;
  }

  /** Something a listing shows changed here: the next request reads it again. */
  invalidate(): void {
    this.#fresh = undefined;
    this.#generation += 1;
  }

  get(): Promise<RoomSummary[]> {
    if (this.#fresh && performance.now() - this.#readAt < this.#ttlMs) return Promise.resolve(this.#fresh);
    // A read started before the latest change may miss it: a request after the change waits for its own.
    if (this.#reading?.generation === this.#generation) return this.#reading.done;
    const generation = this.#generation;
    const reading = {
      generation,
      done: this.#read().then(
        (rooms) => {
          const listing = rooms.map((r) => summary(r, r.members));
          this.#last = listing;
          if (generation === this.#generation) {
            this.#fresh = listing;
            this.#readAt = performance.now();
          }
          return listing;
        },
        () => this.#last,
      ),
    };
    this.#reading = reading;
    void reading.done.finally(() => {
      if (this.#reading === reading) this.#reading = undefined;
    });
    return reading.done;
  }
}

/** A room's record, without what a read adds to it. */
export function recordOf(room: SharedRoom | RoomRecord): RoomRecord {
  return {
    id: room.id,
    name: room.name,
    host: room.host,
    hostName: room.hostName,
    visibility: room.visibility,
    policy: room.policy,
    tokenHash: room.tokenHash,
    createdAt: room.createdAt,
  };
}

export function summary(room: RoomRecord, members: number): RoomSummary {
  return {
    id: room.id,
    name: room.name,
    host: room.host,
    host_name: room.hostName,
    members,
    policy: room.policy,
    visibility: room.visibility,
  };
}
