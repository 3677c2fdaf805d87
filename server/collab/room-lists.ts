import { type NodeRef, paneIdOf, type RoomListing, roomAddressOf } from "../../protocol/collab.ts";
import type { BrowserSocket } from "../ws/browser-hub.ts";
import type { CollabRoom } from "./collab-room.ts";
import type { RoomStore, StoredRoomRow } from "./room-store.ts";

export interface RoomListsDeps {
  store: RoomStore;
  /** The rooms loaded now; their live state wins over what SQLite last saved. */
  loaded(): Iterable<CollabRoom>;
  peerRef(nodeId: string): NodeRef;
  send(socket: BrowserSocket, data: { paneId: string; rooms: RoomListing[] }): void;
}

/**
 * Each pane's list of rooms, mine and those shared with me, and the tabs watching it: a tab that
 * asked for a pane's list hears it again whenever it changes (a note made, shared, renamed,
 * revoked or deleted), until it closes.
 */
export class RoomLists {
  readonly #d: RoomListsDeps;
  readonly #watchers = new Map<string, Set<BrowserSocket>>();

  constructor(deps: RoomListsDeps) {
    this.#d = deps;
  }

  watch(socket: BrowserSocket, paneId: string): void {
    const tabs = this.#watchers.get(paneId) ?? new Set();
    this.#watchers.set(paneId, tabs);
    tabs.add(socket);
    this.#d.send(socket, { paneId, rooms: this.listing(paneId) });
  }

  forget(socket: BrowserSocket): void {
    for (const tabs of this.#watchers.values()) tabs.delete(socket);
  }

  /** Tells the tabs watching the pane of `key` its list again. */
  changed(key: string): void {
    const paneId = paneIdOf(key);
    const tabs = this.#watchers.get(paneId);
    if (!tabs || tabs.size === 0) return;
    const rooms = this.listing(paneId);
    for (const socket of tabs) this.#d.send(socket, { paneId, rooms });
  }

  /** A pane's rooms, newest change first. */
  listing(paneId: string): RoomListing[] {
    const rows = new Map<string, RoomListing>();
    for (const row of this.#d.store.list(paneId))
      rows.set(roomAddressOf(row.ref.paneKey, row.ref.owner), this.#entry(row));
    for (const room of this.#d.loaded()) {
      if (paneIdOf(room.key) !== paneId) continue;
      const saved = rows.get(room.address)?.updatedAt ?? Date.now();
      rows.set(room.address, this.#entry({ ...room.listed(), updatedAt: saved }));
    }
    return [...rows.values()].sort((a, b) => b.updatedAt - a.updatedAt || a.paneKey.localeCompare(b.paneKey));
  }

  #entry(row: StoredRoomRow): RoomListing {
    const { ref } = row;
    return {
      paneKey: roomAddressOf(ref.paneKey, ref.owner),
      title: row.title,
      owner: ref.owner === null ? null : this.#d.peerRef(ref.owner),
      access: row.access,
      sharedWith: row.sharedWith.map((id) => this.#d.peerRef(id)),
      updatedAt: row.updatedAt,
    };
  }
}
