import type { ServerDataOf } from "../../protocol/channels.ts";
import {
  type CollabMember,
  paneIdOf,
  parseRoomAddress,
  type RoomListing,
  roomAddressOf,
} from "../../protocol/collab.ts";
import type { PeerDataOf } from "../../protocol/peer-messages.ts";
import type { PeerHub } from "../fabric/peer-hub.ts";
import type { Logger } from "../log.ts";
import type { NoticeInput } from "../notices/notice-store.ts";
import { type BrowserHub, type BrowserSocket, channelSender } from "../ws/browser-hub.ts";
import { CollabRoom, type UpdateOrigin } from "./collab-room.ts";
import { type AwarenessOrigin, RoomAwareness } from "./room-awareness.ts";
import { RoomLists } from "./room-lists.ts";
import type { RoomStore } from "./room-store.ts";
import { shareReceivedNotice, shareRevokedNotice } from "./share-notices.ts";

/** Rooms are saved at most this long after a change (≤ 1 s behind, docs/architecture.md). */
export const SAVE_DELAY_MS = 500;
/** Most rooms one peer may share with this node; more are refused so a peer cannot fill the disk. */
export const MAX_ROOMS_PER_PEER = 200;

export interface CollabDeps {
  hub: PeerHub;
  browsers: BrowserHub;
  store: RoomStore;
  log: Logger;
  nodeId: string;
  nodeName(): string;
  /** Whether a pane id is one this node has (built-in or a loaded plugin). */
  knowsPane(id: string): boolean;
  /** Whether that pane declares `collab`: only such panes have rooms. */
  hostsRooms(id: string): boolean;
  /** Whether a pane's manifest says its rooms start shared (`collab.autoShare`). */
  autoShares(id: string): boolean;
  /** A pane's title, for notices ("alice shared Scratch with you"). */
  paneTitle(id: string): string;
  /** The inbox, told of shares received and revoked. */
  notify?(notice: NoticeInput): void;
}

/**
 * Shared panes: rooms by owner and pane key, the tabs in them, who each of mine is shared with
 * and which peers have it open. An edit goes to the other tabs in the room and to the linked
 * peers that have it open — for a room of mine only those it is shared with, for another node's
 * room only its owner; never to anyone else. Nothing is merged across owners: a share received is
 * a separate room that stays an invitation until a tab opens it. Knows tabs and peers only
 * through the browser hub and the peer hub.
 */
export class CollabService {
  readonly #d: CollabDeps;
  /** Typed sends on the `collab` channel, made once: every edit and message goes through it. */
  readonly #tabs: ReturnType<typeof channelSender<"collab">>;
  readonly #rooms = new Map<string, CollabRoom>();
  readonly #saveTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #lists: RoomLists;
  /** Brand-new rooms of `autoShare` panes, shared on their first local join. */
  readonly #autoSharePending = new Set<string>();
  #tabCount = 0;

  constructor(deps: CollabDeps) {
    this.#d = deps;
    this.#tabs = channelSender(deps.browsers, "collab");
    this.#lists = new RoomLists({
      store: deps.store,
      loaded: () => this.#rooms.values(),
      peerRef: (id) => this.#peerRef(id),
      send: (socket, data) => this.#tabs.send(socket, "rooms", data),
    });
  }

  get nodeId(): string {
    return this.#d.nodeId;
  }

  knowsPane(id: string): boolean {
    return this.#d.knowsPane(id);
  }

  hostsRooms(id: string): boolean {
    return this.#d.hostsRooms(id);
  }

  /**
   * A loaded room by address, from SQLite on first use. With `create`, a room of mine that does
   * not exist yet is made (only tabs create rooms, and only their own); another node's room is
   * never made here.
   */
  room(address: string, create = false): CollabRoom | undefined {
    const existing = this.#rooms.get(address);
    if (existing) return existing;
    const ref = parseRoomAddress(address);
    if (!ref || !this.#d.hostsRooms(paneIdOf(ref.paneKey))) return undefined;
    const stored = this.#d.store.load(ref);
    if (!stored && (ref.owner !== null || !create)) return undefined;
    return this.#adopt(new CollabRoom(ref, stored), !stored);
  }

  /** Another node's room on this node, by owner and pane key. */
  roomOf(owner: string | null, key: string): CollabRoom | undefined {
    return this.room(roomAddressOf(key, owner === this.#d.nodeId ? null : owner));
  }

  #adopt(room: CollabRoom, fresh: boolean): CollabRoom {
    room.doc.on("update", (update: Uint8Array, origin: unknown) => this.#changed(room, update, origin));
    this.#rooms.set(room.address, room);
    if (fresh) {
      if (room.ref.owner === null && this.#d.autoShares(paneIdOf(room.key)))
        this.#autoSharePending.add(room.address);
      // An invitation is kept at once, to outlast a crash; a note of mine once it holds something.
      if (room.ref.owner !== null) this.#save(room.address);
      this.#lists.changed(room.key);
    }
    return room;
  }

  /** A tab opens a room; opening an invitation is what makes this node fetch the document. */
  join(socket: BrowserSocket, room: CollabRoom): void {
    if (!room.tabs.has(socket)) room.tabs.set(socket, `tab-${++this.#tabCount}`);
    if (room.access === "invited") {
      room.access = "guest";
      this.#save(room.address);
      this.#lists.changed(room.key);
      this.#openSync(room);
    }
    this.#tabs.send(socket, "state", {
      paneKey: room.address,
      rev: room.rev,
      update: room.stateB64(),
      members: this.#members(room, socket),
      sharedWith: [...room.sharedWith],
      access: room.access,
      owner: room.ref.owner === null ? null : this.#peerRef(room.ref.owner),
    });
    const carets = room.awareness?.snapshot();
    if (carets) this.#tabs.send(socket, "awareness", { paneKey: room.address, update: b64(carets) });
    this.#presence(room);
    // After the tab has its state, so the sharing frame that follows applies to a joined room.
    if (this.#autoSharePending.delete(room.address)) this.share(room, undefined);
  }

  leave(socket: BrowserSocket, room: CollabRoom): void {
    room.awareness?.tabLeft(socket);
    if (room.tabs.delete(socket)) this.#presence(room);
    this.releaseIfIdle(room);
  }

  /**
   * Unloads a room that no tab and no peer has open: it lives in SQLite until one opens it again,
   * so memory follows what people use, not how many rooms exist or are asked about. A room made
   * and left without a change was never saved and simply goes (from the lists too).
   */
  releaseIfIdle(room: CollabRoom): void {
    if (room.tabs.size > 0 || room.linked.size > 0 || this.#rooms.get(room.address) !== room) return;
    // A room whose save failed stays loaded: unloading it would lose what SQLite does not hold.
    if (this.#saveTimers.has(room.address) && !this.#save(room.address)) return;
    this.#rooms.delete(room.address);
    this.#autoSharePending.delete(room.address);
    room.destroy();
    if (!room.persisted) this.#lists.changed(room.key);
  }

  /** How many rooms are loaded now (the rest are only in SQLite). */
  get loadedRooms(): number {
    return this.#rooms.size;
  }

  /**
   * Awareness (carets, selections, typing) from a tab in the room or a peer that has it open;
   * it goes to the room's other tabs and linked peers, like an edit. Throws
   * `AwarenessUpdateError` for one that does not decode; nothing of it is applied.
   */
  awareness(room: CollabRoom, updateB64: string, origin: AwarenessOrigin): void {
    this.#awarenessOf(room).apply(new Uint8Array(Buffer.from(updateB64, "base64")), origin);
  }

  #awarenessOf(room: CollabRoom): RoomAwareness {
    room.awareness ??= new RoomAwareness(room.doc, (update, from) => {
      const data = b64(update);
      this.#fanOut(
        room,
        from,
        ["awareness", { paneKey: room.address, update: data }],
        ["collab_awareness", { room: room.key, owner: this.#ownerOf(room), update: data }],
      );
    });
    return room.awareness;
  }

  /** A peer no longer has the room open: it leaves, and the carets that came through it go. */
  unlinked(room: CollabRoom, nodeId: string): boolean {
    room.awareness?.peerLeft(nodeId);
    const was = room.linked.delete(nodeId);
    if (was) this.#presence(room);
    this.releaseIfIdle(room);
    return was;
  }

  /** A tab closed: it leaves every room and list it was in. */
  tabClosed(socket: BrowserSocket): void {
    for (const room of this.#rooms.values()) this.leave(socket, room);
    this.#lists.forget(socket);
  }

  /**
   * Shares a room of mine with one trusted peer, or with every connected trusted peer. Returns
   * why not, for the tab that asked. An offline peer gets the share when it next links.
   */
  share(room: CollabRoom, nodeId: string | undefined): string | undefined {
    const { hub } = this.#d;
    if (room.ref.owner !== null) return "only its owner can share this";
    const targets = nodeId ? [nodeId] : hub.sessions().map((s) => s.peerId);
    const allowed = targets.filter((id) => hub.isTrusted(id));
    if (allowed.length === 0)
      return nodeId ? `${nodeId} is not a trusted peer` : "no connected peer to share with";
    for (const id of allowed) {
      room.sharedWith.add(id);
      this.#sendShare(room, id);
    }
    this.sharingChanged(room);
    return undefined;
  }

  /** Stops sharing a room of mine with one peer or all; they keep read-only copies. */
  unshare(room: CollabRoom, nodeId: string | undefined): string | undefined {
    if (room.ref.owner !== null) return "only its owner can stop sharing this";
    const ids = nodeId ? [nodeId] : [...room.sharedWith];
    for (const id of ids) {
      if (!room.sharedWith.delete(id)) continue;
      this.unlinked(room, id);
      this.#d.hub.send(id, "collab_unshare", { room: room.key, owner: this.#d.nodeId });
    }
    this.sharingChanged(room);
    return undefined;
  }

  /**
   * Deletes a room here. Mine: its guests are told and keep read-only copies. Another node's: the
   * owner is told this node left, so it stops sending.
   */
  delete(room: CollabRoom): void {
    if (room.ref.owner === null) this.unshare(room, undefined);
    else if (room.access !== "revoked")
      this.#d.hub.send(room.ref.owner, "collab_unshare", { room: room.key, owner: room.ref.owner });
    this.#drop(room);
  }

  #drop(room: CollabRoom): void {
    clearTimeout(this.#saveTimers.get(room.address));
    this.#saveTimers.delete(room.address);
    this.#autoSharePending.delete(room.address);
    this.#d.store.delete(room.ref);
    this.#rooms.delete(room.address);
    for (const socket of room.tabs.keys()) this.#tabs.send(socket, "deleted", { paneKey: room.address });
    room.destroy();
    this.#lists.changed(room.key);
  }

  /** A peer shared a room of its own with this node: an invitation, until a tab opens it. */
  received(peer: { id: string; name: string }, key: string, title: string | undefined): string | undefined {
    const paneId = paneIdOf(key);
    if (!this.#d.hostsRooms(paneId)) return `no pane "${paneId}" with shared rooms here`;
    const existing = this.roomOf(peer.id, key);
    if (existing) {
      if (title !== undefined && title !== existing.sharedTitle) {
        existing.sharedTitle = title;
        this.#scheduleSave(existing);
      }
      if (existing.access === "revoked") {
        existing.access = "guest";
        this.sharingChanged(existing);
        this.#d.notify?.(shareReceivedNotice(existing, peer.name, this.#d.paneTitle(paneId), true));
      }
      if (existing.access === "guest") this.#openSync(existing);
      this.releaseIfIdle(existing);
      return undefined;
    }
    if (this.#d.store.list(paneId).filter((r) => r.ref.owner === peer.id).length >= MAX_ROOMS_PER_PEER)
      return `too many rooms shared with this node (at most ${MAX_ROOMS_PER_PEER})`;
    const room = new CollabRoom({ paneKey: key, owner: peer.id });
    room.sharedTitle = title ?? "";
    this.#adopt(room, true);
    this.#d.notify?.(shareReceivedNotice(room, peer.name, this.#d.paneTitle(paneId), false));
    this.releaseIfIdle(room);
    return undefined;
  }

  /** The owner stopped sharing: an unopened invitation goes, an opened room turns read-only. */
  revoked(room: CollabRoom, ownerName: string): void {
    this.#d.notify?.(shareRevokedNotice(room, ownerName, this.#d.paneTitle(paneIdOf(room.key))));
    for (const id of [...room.linked]) this.unlinked(room, id);
    if (room.access === "invited") {
      this.#drop(room);
      return;
    }
    room.access = "revoked";
    this.sharingChanged(room);
  }

  /** A peer has this room open on its current link: edits flow to it from now on. */
  linkedBy(room: CollabRoom, nodeId: string): void {
    if (room.linked.has(nodeId)) return;
    room.linked.add(nodeId);
    const carets = room.awareness?.snapshot();
    if (carets) {
      this.#d.hub.send(nodeId, "collab_awareness", {
        room: room.key,
        owner: this.#ownerOf(room),
        update: b64(carets),
      });
    }
    this.#presence(room);
  }

  /** Writes every room with unsaved changes. */
  flush(): void {
    for (const address of [...this.#saveTimers.keys()]) this.#save(address);
  }

  /** Saves what is unsaved and ends every room's awareness timer; the node is stopping. */
  stop(): void {
    this.flush();
    for (const room of this.#rooms.values()) room.destroy();
    this.#rooms.clear();
  }

  /**
   * A peer linked or unlinked. On a new link it gets again every share of mine it has (shares made
   * while it was away included; receiving one twice changes nothing), and rooms of its that this
   * node has open catch up both ways. On unlink it leaves every room's presence.
   */
  peerLinkChanged(nodeId: string, online: boolean): void {
    const addresses = new Set(this.#d.store.roomsWith(nodeId).map((r) => roomAddressOf(r.paneKey, r.owner)));
    for (const room of this.#rooms.values()) addresses.add(room.address);
    for (const address of addresses) {
      const room = this.room(address);
      if (!room) continue;
      if (!online) {
        this.unlinked(room, nodeId);
        continue;
      }
      if (room.ref.owner === null && room.sharedWith.has(nodeId)) this.#sendShare(room, nodeId);
      else if (room.ref.owner === nodeId && room.access === "guest") this.#openSync(room);
      // Loaded only to tell the peer; the peer's answer (if it opens the room) loads it again.
      this.releaseIfIdle(room);
    }
  }

  /** Who a room is shared with or this node's access changed: tell its tabs and the lists. */
  sharingChanged(room: CollabRoom): void {
    this.#autoSharePending.delete(room.address);
    for (const socket of room.tabs.keys()) {
      this.#tabs.send(socket, "sharing", {
        paneKey: room.address,
        sharedWith: [...room.sharedWith],
        access: room.access,
      });
    }
    this.#presence(room);
    this.#scheduleSave(room);
    this.#lists.changed(room.key);
    this.releaseIfIdle(room);
  }

  /** Sends a tab a pane's rooms and keeps it told of changes. */
  watchList(socket: BrowserSocket, paneId: string): void {
    this.#lists.watch(socket, paneId);
  }

  /** A pane's rooms, mine and others', newest change first. */
  listing(paneId: string): RoomListing[] {
    return this.#lists.listing(paneId);
  }

  #sendShare(room: CollabRoom, nodeId: string): void {
    const title = room.title();
    this.#d.hub.send(nodeId, "collab_share", { room: room.key, ...(title ? { title } : {}) });
  }

  /** A guest asks the owner for what it lacks; the owner's answer links the room both ways. */
  #openSync(room: CollabRoom): void {
    const owner = room.ref.owner;
    if (owner === null) return;
    this.#d.hub.send(owner, "collab_sync", { room: room.key, owner, sv: room.stateVectorB64() });
  }

  #changed(room: CollabRoom, update: Uint8Array, origin: unknown): void {
    if (origin === "load") return;
    const from = origin as UpdateOrigin;
    const data = b64(update);
    const fromId = from.kind === "tab" ? from.memberId : from.nodeId;
    this.#fanOut(
      room,
      from,
      ["update", { paneKey: room.address, rev: room.rev, update: data, from: fromId }],
      ["collab_update", { room: room.key, owner: this.#ownerOf(room), update: data }],
    );
    this.#scheduleSave(room);
  }

  /**
   * Sends one frame to the room's tabs and one to the peers that have it open, never back to
   * where the change came from: the only two places a room's changes go.
   */
  #fanOut(
    room: CollabRoom,
    from: { kind: "tab"; socket: BrowserSocket } | { kind: "peer"; nodeId: string } | null,
    [event, tabData]:
      | ["update", ServerDataOf<"collab", "update">]
      | ["awareness", ServerDataOf<"collab", "awareness">],
    [type, peerData]:
      | ["collab_update", PeerDataOf<"collab_update">]
      | ["collab_awareness", PeerDataOf<"collab_awareness">],
  ): void {
    for (const socket of room.tabs.keys()) {
      if (from?.kind !== "tab" || socket !== from.socket) this.#tabs.send(socket, event, tabData);
    }
    for (const id of room.linked) {
      if (from?.kind !== "peer" || id !== from.nodeId) this.#d.hub.send(id, type, peerData);
    }
  }

  /** The owner's node id as the peer wire names it (this node's own id for a room of mine). */
  #ownerOf(room: CollabRoom): string {
    return room.ref.owner ?? this.#d.nodeId;
  }

  #peerRef(nodeId: string): { node_id: string; node_name: string } {
    const { hub } = this.#d;
    const name = hub.session(nodeId)?.peerName || hub.row(nodeId)?.node_name || nodeId.slice(0, 8);
    return { node_id: nodeId, node_name: name };
  }

  #members(room: CollabRoom, viewer: BrowserSocket | undefined): CollabMember[] {
    const name = this.#d.nodeName();
    const tabs = [...room.tabs].map(([socket, id]) => ({
      id,
      name,
      kind: "tab" as const,
      self: socket === viewer,
    }));
    const nodes = [...room.linked]
      .map((id) => this.#d.hub.session(id))
      .filter((s) => s !== undefined)
      .map((s) => ({ id: s.peerId, name: s.peerName, kind: "node" as const, self: false }));
    return [...tabs, ...nodes];
  }

  #presence(room: CollabRoom): void {
    for (const socket of room.tabs.keys()) {
      this.#tabs.send(socket, "presence", { paneKey: room.address, members: this.#members(room, socket) });
    }
  }

  #scheduleSave(room: CollabRoom): void {
    // Not reset by later changes: a busy room is still saved every SAVE_DELAY_MS.
    if (this.#saveTimers.has(room.address)) return;
    this.#saveTimers.set(
      room.address,
      setTimeout(() => this.#save(room.address), SAVE_DELAY_MS),
    );
  }

  /** Writes a loaded room to SQLite; false when that failed (logged). */
  #save(address: string): boolean {
    clearTimeout(this.#saveTimers.get(address));
    this.#saveTimers.delete(address);
    const room = this.#rooms.get(address);
    if (!room) return true;
    const before = room.savedTitle;
    try {
      this.#d.store.save(room.ref, room.stored());
      room.persisted = true;
      room.savedTitle = room.title();
    } catch (err) {
      this.#d.log.error("could not save a room", { room: address, error: (err as Error).message });
      return false;
    }
    // Titles live in the document; lists hear of a rename once it is saved.
    if (before !== room.savedTitle) this.#lists.changed(room.key);
    return true;
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
