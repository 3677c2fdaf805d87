import type { RoomSummary } from "../protocol/lobby.ts";

type Visibility = RoomSummary["visibility"];
type Policy = RoomSummary["policy"];

/** A hosted room. The lobby keeps a token room's token as its sha256 only. */
export interface Room {
  readonly id: string;
  name: string;
  readonly host: string;
  hostName: string;
  visibility: Visibility;
  policy: Policy;
  tokenHash: string | undefined;
  /** Nodes that joined, the host not among them. */
  readonly guests: Set<string>;
}

/**
 * Every room, by id and by host. The public listing is kept as text and rebuilt only when a
 * room, its member count or its host's presence changed since it was last asked for, so a wave
 * of `list_rooms` costs one walk of the rooms, not one per request.
 */
export class Rooms {
  readonly #rooms = new Map<string, Room>();
  readonly #byHost = new Map<string, Set<string>>();
  #listing: RoomSummary[] | undefined;

  get size(): number {
    return this.#rooms.size;
  }

  get(id: string): Room | undefined {
    return this.#rooms.get(id);
  }

  hostedBy(host: string): Room[] {
    const ids = this.#byHost.get(host);
    if (!ids) return [];
    const out: Room[] = [];
    for (const id of ids) {
      const room = this.#rooms.get(id);
      if (room) out.push(room);
    }
    return out;
  }

  countHostedBy(host: string): number {
    return this.#byHost.get(host)?.size ?? 0;
  }

  add(room: Room): void {
    this.#rooms.set(room.id, room);
    let ids = this.#byHost.get(room.host);
    if (!ids) {
      ids = new Set();
      this.#byHost.set(room.host, ids);
    }
    ids.add(room.id);
    this.changed();
  }

  remove(id: string): Room | undefined {
    const room = this.#rooms.get(id);
    if (!room) return undefined;
    this.#rooms.delete(id);
    const ids = this.#byHost.get(room.host);
    ids?.delete(id);
    if (ids?.size === 0) this.#byHost.delete(room.host);
    this.changed();
    return room;
  }

  /** Something a listing shows changed (a name, a member count, a host coming or going). */
  changed(): void {
    this.#listing = undefined;
  }

  /** Public rooms whose host is online, newest first, at most `max`. */
  listing(max: number, online: (host: string) => boolean): RoomSummary[] {
    if (this.#listing === undefined) {
      const out: RoomSummary[] = [];
      const all = [...this.#rooms.values()];
      for (let i = all.length - 1; i >= 0 && out.length < max; i--) {
        const room = all[i]!;
        if (room.visibility === "public" && online(room.host)) out.push(summary(room));
      }
      this.#listing = out;
    }
    return this.#listing;
  }
}

export function summary(room: Room): RoomSummary {
  return {
    id: room.id,
    name: room.name,
    host: room.host,
    host_name: room.hostName,
    members: 1 + room.guests.size,
    policy: room.policy,
    visibility: room.visibility,
  };
}
