import * as Y from "yjs";
import {
  COLLAB_META,
  COLLAB_TITLE,
  MAX_TITLE,
  type RoomAccess,
  type RoomRef,
  roomAddressOf,
} from "../../protocol/collab.ts";
import type { BrowserSocket } from "../ws/browser-hub.ts";
import type { RoomAwareness } from "./room-awareness.ts";
import type { StoredRoom, StoredRoomRow } from "./room-store.ts";

/** Where an update came from, so it is not echoed back there. */
export type UpdateOrigin =
  | { kind: "tab"; socket: BrowserSocket; memberId: string }
  | { kind: "peer"; nodeId: string };

/** A malformed or oversized update; nothing of it was applied. */
export class CollabUpdateError extends Error {
  override readonly name = "CollabUpdateError";
}

/**
 * One room: its owner and pane key, its Yjs document, a monotonic `rev` (count of updates that
 * changed something), this node's access, the tabs in it, and — for a room of mine — the peers it
 * is shared with. `linked` holds the peers that have the room open on the current link: the only
 * ones edits are sent to.
 */
export class CollabRoom {
  readonly ref: RoomRef;
  /** The address tabs use: the pane key for a room of mine, `<key>@<owner>` for another's. */
  readonly address: string;
  readonly doc = new Y.Doc({ gc: true });
  rev = 0;
  access: RoomAccess;
  /** The title a share announced, until the document brings its own. */
  sharedTitle = "";
  /** The title as last written to SQLite, so lists hear of renames once saved. */
  savedTitle = "";
  readonly sharedWith = new Set<string>();
  readonly linked = new Set<string>();
  /** Open tabs, with the member id each is known by. */
  readonly tabs = new Map<BrowserSocket, string>();
  /** Carets and selections in the room; made on first use (see `CollabService`). */
  awareness: RoomAwareness | undefined;
  /** Whether the room is in SQLite (loaded from it, or saved since it was made). */
  persisted: boolean;
  /**
   * A copy of the document every update is tried on first, so one that fails halfway through
   * (Yjs applies struct by struct) never leaves a part of itself in the room. Made on first use.
   */
  #trial: Y.Doc | undefined;

  constructor(ref: RoomRef, stored?: StoredRoom) {
    this.ref = ref;
    this.address = roomAddressOf(ref.paneKey, ref.owner);
    this.access = stored?.access ?? (ref.owner === null ? "owner" : "invited");
    this.persisted = stored !== undefined;
    if (stored) {
      Y.applyUpdate(this.doc, stored.state, "load");
      this.rev = stored.rev;
      this.sharedTitle = stored.title;
      this.savedTitle = stored.title;
      for (const id of stored.sharedWith) this.sharedWith.add(id);
    }
    // Yjs emits "update" only for transactions that changed something, so duplicates from
    // several paths neither bump rev nor get forwarded again: relaying cannot loop.
    this.doc.on("update", (_update: Uint8Array, origin: unknown) => {
      if (origin !== "load") this.rev += 1;
    });
  }

  /**
   * Applies a base64 Yjs update all or nothing: it must decode, and apply cleanly to a copy of
   * the document first; else `CollabUpdateError` and the room is unchanged.
   */
  apply(updateB64: string, origin: UpdateOrigin): void {
    const update = new Uint8Array(Buffer.from(updateB64, "base64"));
    try {
      Y.decodeUpdate(update);
    } catch {
      throw new CollabUpdateError("not a Yjs update");
    }
    this.#trial ??= this.#copy();
    try {
      Y.applyUpdate(this.#trial, update);
    } catch {
      // The copy may now hold part of the update; the next one starts from the room again.
      this.#trial.destroy();
      this.#trial = undefined;
      throw new CollabUpdateError("a Yjs update that does not apply to this room");
    }
    Y.applyUpdate(this.doc, update, origin);
  }

  #copy(): Y.Doc {
    const copy = new Y.Doc({ gc: true });
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(this.doc));
    return copy;
  }

  /** Frees the room's documents and carets; it must not be used afterwards. */
  destroy(): void {
    this.awareness?.destroy();
    this.awareness = undefined;
    this.#trial?.destroy();
    this.doc.destroy();
  }

  stateB64(): string {
    return Buffer.from(Y.encodeStateAsUpdate(this.doc)).toString("base64");
  }

  stateVectorB64(): string {
    return Buffer.from(Y.encodeStateVector(this.doc)).toString("base64");
  }

  /** What a peer with state vector `svB64` lacks; throws `CollabUpdateError` for a bad vector. */
  diffFor(svB64: string): string {
    try {
      return Buffer.from(
        Y.encodeStateAsUpdate(this.doc, new Uint8Array(Buffer.from(svB64, "base64"))),
      ).toString("base64");
    } catch {
      throw new CollabUpdateError("not a Yjs state vector");
    }
  }

  /** The pane key, as the peer wire names the room. */
  get key(): string {
    return this.ref.paneKey;
  }

  /** The document's title, else the one its share announced; never longer than `MAX_TITLE`. */
  title(): string {
    const value = this.doc.getMap(COLLAB_META).get(COLLAB_TITLE);
    const title = typeof value === "string" && value.trim() !== "" ? value : this.sharedTitle;
    return title.slice(0, MAX_TITLE);
  }

  /** The room as a list shows it, but for when it was last saved. */
  listed(): Omit<StoredRoomRow, "updatedAt"> {
    return { ref: this.ref, access: this.access, title: this.title(), sharedWith: [...this.sharedWith] };
  }

  stored(): StoredRoom {
    return {
      state: Y.encodeStateAsUpdate(this.doc),
      rev: this.rev,
      sharedWith: [...this.sharedWith],
      access: this.access,
      title: this.title(),
    };
  }
}
