import * as Y from "yjs";
import type { BrowserSocket } from "../ws/browser-hub.ts";
import type { StoredRoom } from "./room-store.ts";

/** Where an update came from, so it is not echoed back there. */
export type UpdateOrigin =
  | { kind: "tab"; socket: BrowserSocket; memberId: string }
  | { kind: "peer"; nodeId: string };

/** A malformed or oversized update; nothing of it was applied. */
export class CollabUpdateError extends Error {
  override readonly name = "CollabUpdateError";
}

/**
 * One shared pane's room: its Yjs document, a monotonic `rev` (count of updates that changed
 * something), the tabs in it and the peers it is shared with.
 */
export class CollabRoom {
  readonly key: string;
  readonly doc = new Y.Doc({ gc: true });
  rev = 0;
  readonly sharedWith = new Set<string>();
  /** Open tabs, with the member id each is known by. */
  readonly tabs = new Map<BrowserSocket, string>();

  constructor(key: string, stored?: StoredRoom) {
    this.key = key;
    if (stored) {
      Y.applyUpdate(this.doc, stored.state, "load");
      this.rev = stored.rev;
      for (const id of stored.sharedWith) this.sharedWith.add(id);
    }
    // Yjs emits "update" only for transactions that changed something, so duplicates from
    // several paths neither bump rev nor get forwarded again: relaying cannot loop.
    this.doc.on("update", (_update: Uint8Array, origin: unknown) => {
      if (origin !== "load") this.rev += 1;
    });
  }

  /** Applies a base64 Yjs update after checking it decodes; throws `CollabUpdateError`. */
  apply(updateB64: string, origin: UpdateOrigin): void {
    const update = new Uint8Array(Buffer.from(updateB64, "base64"));
    try {
      // Decoding first means a malformed update is refused whole, never half-applied.
      Y.decodeUpdate(update);
    } catch {
      throw new CollabUpdateError("not a Yjs update");
    }
    Y.applyUpdate(this.doc, update, origin);
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

  stored(): StoredRoom {
    return { state: Y.encodeStateAsUpdate(this.doc), rev: this.rev, sharedWith: [...this.sharedWith] };
  }
}
