import { type CollabMember, collabClientEvent, paneIdOf } from "../../protocol/collab.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { Logger } from "../log.ts";
import type { BrowserHub, BrowserSocket } from "../ws/browser-hub.ts";
import { CollabRoom, CollabUpdateError, type UpdateOrigin } from "./collab-room.ts";
import type { RoomStore } from "./room-store.ts";

/** Rooms are saved at most this long after a change (DESIGN: ≤ 1 s behind). */
export const SAVE_DELAY_MS = 500;

export interface CollabDeps {
  hub: PeerHub;
  browsers: BrowserHub;
  store: RoomStore;
  log: Logger;
  nodeName(): string;
  /** Whether a pane id is one this node has (built-in or a loaded plugin). */
  knowsPane(id: string): boolean;
  /** Whether a pane's manifest says its rooms start shared (`collab.autoShare`). */
  autoShares(id: string): boolean;
}

/**
 * Shared panes: rooms by pane key, the tabs in them, and who each is shared with. Every change to
 * a room's document goes to the other tabs in it and to the connected peers it is shared with —
 * never to anyone else. Knows tabs and peers only through the browser hub and the peer hub.
 */
export class CollabService {
  readonly #d: CollabDeps;
  readonly #rooms = new Map<string, CollabRoom>();
  readonly #saveTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Shares made while the peer was offline, as `room|node`: delivered when it connects. */
  readonly #pendingShares = new Set<string>();
  /**
   * Brand-new rooms of `autoShare` panes, shared on their first local join. Once a room is saved
   * its sharing is a decision someone made (an unshare, or a peer's share) and is left alone.
   */
  readonly #autoSharePending = new Set<string>();
  #tabCount = 0;

  constructor(deps: CollabDeps) {
    this.#d = deps;
  }

  /** Loads a room from SQLite on first use; undefined for a pane this node does not have. */
  room(key: string): CollabRoom | undefined {
    const existing = this.#rooms.get(key);
    if (existing) return existing;
    if (!this.#d.knowsPane(paneIdOf(key))) return undefined;
    const stored = this.#d.store.load(key);
    const room = new CollabRoom(key, stored);
    room.doc.on("update", (update: Uint8Array, origin: unknown) => this.#changed(room, update, origin));
    this.#rooms.set(key, room);
    if (!stored && this.#d.autoShares(paneIdOf(key))) this.#autoSharePending.add(key);
    return room;
  }

  registerBrowserChannel(): void {
    const { browsers } = this.#d;
    browsers.channel("collab", collabClientEvent, (socket, msg) => {
      const { paneKey } = msg.data;
      const room = this.room(paneKey);
      if (!room) return this.#error(socket, `no pane "${paneIdOf(paneKey)}" on this node`, paneKey);
      switch (msg.event) {
        case "join":
          return this.#join(socket, room);
        case "leave":
          return this.#leave(socket, room);
        case "update": {
          const memberId = room.tabs.get(socket);
          if (!memberId) return this.#error(socket, "join the room before sending updates", paneKey);
          try {
            room.apply(msg.data.update, { kind: "tab", socket, memberId });
          } catch (err) {
            if (err instanceof CollabUpdateError) return this.#error(socket, err.message, paneKey);
            throw err;
          }
          return;
        }
        case "share":
          return this.share(room, msg.data.nodeId, socket);
        case "unshare":
          return this.unshare(room, msg.data.nodeId);
        default: {
          const never: never = msg;
          return never;
        }
      }
    });
    browsers.onClose((socket) => {
      for (const room of this.#rooms.values()) if (room.tabs.has(socket)) this.#leave(socket, room);
    });
  }

  /** Shares a room with one trusted peer, or with every connected trusted peer. */
  share(room: CollabRoom, nodeId: string | undefined, asker?: BrowserSocket): void {
    const { hub } = this.#d;
    const targets = nodeId ? [nodeId] : hub.sessions().map((s) => s.peerId);
    const allowed = targets.filter((id) => hub.isTrusted(id));
    if (asker && allowed.length === 0) {
      this.#error(
        asker,
        nodeId ? `${nodeId} is not a trusted peer` : "no connected peer to share with",
        room.key,
      );
      return;
    }
    for (const id of allowed) {
      room.sharedWith.add(id);
      // Offline peers get the share (and catch up) when they next connect.
      if (hub.send(id, "collab_share", { room: room.key })) this.#openSync(room, id);
      else this.#pendingShares.add(`${room.key}|${id}`);
    }
    this.#sharingChanged(room);
  }

  unshare(room: CollabRoom, nodeId: string | undefined): void {
    const ids = nodeId ? [nodeId] : [...room.sharedWith];
    for (const id of ids) {
      if (!room.sharedWith.delete(id)) continue;
      this.#pendingShares.delete(`${room.key}|${id}`);
      this.#d.hub.send(id, "collab_unshare", { room: room.key });
    }
    this.#sharingChanged(room);
  }

  /** Writes every room with unsaved changes; called on stop. */
  flush(): void {
    for (const key of [...this.#saveTimers.keys()]) this.#save(key);
  }

  /**
   * A peer linked or unlinked. On a new link: deliver shares made while it was away, then catch
   * up both ways on every room shared with it. Either way its presence in those rooms changed.
   */
  peerLinkChanged(nodeId: string, online: boolean): void {
    const keys = new Set(this.#d.store.keysSharedWith(nodeId));
    for (const room of this.#rooms.values()) if (room.sharedWith.has(nodeId)) keys.add(room.key);
    for (const key of keys) {
      const room = this.room(key);
      if (!room?.sharedWith.has(nodeId)) continue;
      if (online) {
        if (this.#pendingShares.delete(`${key}|${nodeId}`))
          this.#d.hub.send(nodeId, "collab_share", { room: key });
        this.#openSync(room, nodeId);
      }
      this.#presence(room);
    }
  }

  /** Tells every tab that a peer shared a room with this node. */
  announceShared(room: CollabRoom, by: { node_id: string; node_name: string }): void {
    this.#d.browsers.broadcast({
      channel: "collab",
      event: "room_shared",
      data: { paneKey: room.key, paneId: paneIdOf(room.key), by },
    });
  }

  sharingChanged(room: CollabRoom): void {
    this.#autoSharePending.delete(room.key);
    this.#sharingChanged(room);
  }

  #openSync(room: CollabRoom, nodeId: string): void {
    this.#d.hub.send(nodeId, "collab_sync", { room: room.key, sv: room.stateVectorB64() });
  }

  #join(socket: BrowserSocket, room: CollabRoom): void {
    if (!room.tabs.has(socket)) room.tabs.set(socket, `tab-${++this.#tabCount}`);
    this.#send(socket, "state", {
      paneKey: room.key,
      rev: room.rev,
      update: room.stateB64(),
      members: this.#members(room, socket),
      sharedWith: [...room.sharedWith],
    });
    this.#presence(room);
    // After the tab has its state, so the sharing frame that follows applies to a joined room.
    if (this.#autoSharePending.delete(room.key)) this.share(room, undefined);
  }

  #leave(socket: BrowserSocket, room: CollabRoom): void {
    if (room.tabs.delete(socket)) this.#presence(room);
  }

  #changed(room: CollabRoom, update: Uint8Array, origin: unknown): void {
    if (origin === "load") return;
    const from = origin as UpdateOrigin;
    const b64 = Buffer.from(update).toString("base64");
    const fromId = from.kind === "tab" ? from.memberId : from.nodeId;
    for (const socket of room.tabs.keys()) {
      if (from.kind === "tab" && socket === from.socket) continue;
      this.#send(socket, "update", { paneKey: room.key, rev: room.rev, update: b64, from: fromId });
    }
    for (const id of room.sharedWith) {
      if (from.kind === "peer" && id === from.nodeId) continue;
      this.#d.hub.send(id, "collab_update", { room: room.key, update: b64 });
    }
    this.#scheduleSave(room.key);
  }

  #sharingChanged(room: CollabRoom): void {
    for (const socket of room.tabs.keys()) {
      this.#send(socket, "sharing", { paneKey: room.key, sharedWith: [...room.sharedWith] });
    }
    this.#presence(room);
    this.#scheduleSave(room.key);
  }

  #members(room: CollabRoom, viewer: BrowserSocket | undefined): CollabMember[] {
    const name = this.#d.nodeName();
    const tabs = [...room.tabs].map(([socket, id]) => ({
      id,
      name,
      kind: "tab" as const,
      self: socket === viewer,
    }));
    const nodes = [...room.sharedWith]
      .map((id) => this.#d.hub.session(id))
      .filter((s) => s !== undefined)
      .map((s) => ({ id: s.peerId, name: s.peerName, kind: "node" as const, self: false }));
    return [...tabs, ...nodes];
  }

  #presence(room: CollabRoom): void {
    for (const socket of room.tabs.keys()) {
      this.#send(socket, "presence", { paneKey: room.key, members: this.#members(room, socket) });
    }
  }

  #scheduleSave(key: string): void {
    // Not reset by later changes: a busy room is still saved every SAVE_DELAY_MS.
    if (this.#saveTimers.has(key)) return;
    this.#saveTimers.set(
      key,
      setTimeout(() => this.#save(key), SAVE_DELAY_MS),
    );
  }

  #save(key: string): void {
    clearTimeout(this.#saveTimers.get(key));
    this.#saveTimers.delete(key);
    const room = this.#rooms.get(key);
    if (!room) return;
    try {
      this.#d.store.save(key, room.stored());
    } catch (err) {
      this.#d.log.error("could not save a room", { room: key, error: (err as Error).message });
    }
  }

  #send(socket: BrowserSocket, event: string, data: unknown): void {
    this.#d.browsers.send(socket, { channel: "collab", event, data });
  }

  #error(socket: BrowserSocket, message: string, paneKey?: string): void {
    this.#send(socket, "error", { message, ...(paneKey ? { paneKey } : {}) });
  }
}
