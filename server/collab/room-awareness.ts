import * as decoding from "lib0/decoding";
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from "y-protocols/awareness";
import type * as Y from "yjs";
import type { BrowserSocket } from "../ws/browser-hub.ts";

/** Where an awareness update came from: a tab here or a peer node; never sent back there. */
export type AwarenessOrigin = { kind: "tab"; socket: BrowserSocket } | { kind: "peer"; nodeId: string };

/** Most clients one awareness update may speak for; a tab has one, a peer a handful. */
const MAX_CLIENTS_PER_UPDATE = 64;

/** A malformed awareness update; nothing of it was applied. */
export class AwarenessUpdateError extends Error {
  override readonly name = "AwarenessUpdateError";
}

/**
 * Reads an awareness update through without applying it, so a malformed one is refused whole:
 * `applyAwarenessUpdate` would apply the entries before the one it cannot read.
 */
function checkUpdate(update: Uint8Array): void {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    if (count > MAX_CLIENTS_PER_UPDATE) throw new Error("too many clients");
    for (let i = 0; i < count; i++) {
      decoding.readVarUint(decoder);
      decoding.readVarUint(decoder);
      const state: unknown = JSON.parse(decoding.readVarString(decoder));
      if (state !== null && (typeof state !== "object" || Array.isArray(state))) throw new Error("bad state");
    }
    if (decoding.hasContent(decoder)) throw new Error("trailing bytes");
  } catch {
    throw new AwarenessUpdateError("not an awareness update");
  }
}

/**
 * A room's awareness on this node: the carets and selections of every tab in the room, here and
 * on the peers it is open on. This node publishes no state of its own; it keeps others' so a tab
 * that joins sees them at once, and remembers which tab or peer each client came through so their
 * states go when that tab closes or that peer unlinks.
 */
export class RoomAwareness {
  readonly #awareness: Awareness;
  readonly #byTab = new Map<BrowserSocket, Set<number>>();
  readonly #byPeer = new Map<string, Set<number>>();

  /** `relay` gets every change with its origin (null when this node removed the states). */
  constructor(doc: Y.Doc, relay: (update: Uint8Array, origin: AwarenessOrigin | null) => void) {
    this.#awareness = new Awareness(doc);
    this.#awareness.setLocalState(null);
    this.#awareness.on(
      "update",
      (
        changes: { added: number[]; updated: number[]; removed: number[] },
        origin: AwarenessOrigin | string,
      ) => {
        const from = typeof origin === "object" ? origin : null;
        if (from) {
          const ids = this.#idsOf(from);
          for (const id of [...changes.added, ...changes.updated]) ids.add(id);
          for (const id of changes.removed) ids.delete(id);
        }
        const clients = [...changes.added, ...changes.updated, ...changes.removed];
        relay(encodeAwarenessUpdate(this.#awareness, clients), from);
      },
    );
  }

  #idsOf(from: AwarenessOrigin): Set<number> {
    const map: Map<BrowserSocket | string, Set<number>> = from.kind === "tab" ? this.#byTab : this.#byPeer;
    const key = from.kind === "tab" ? from.socket : from.nodeId;
    const ids = map.get(key) ?? new Set<number>();
    map.set(key, ids);
    return ids;
  }

  /** Applies an update from a tab or peer; throws `AwarenessUpdateError` when it does not decode. */
  apply(update: Uint8Array, origin: AwarenessOrigin): void {
    checkUpdate(update);
    applyAwarenessUpdate(this.#awareness, update, origin);
  }

  /** Every state known, for a tab or peer that just came in; null when there is none. */
  snapshot(): Uint8Array | null {
    const clients = [...this.#awareness.getStates().keys()];
    return clients.length === 0 ? null : encodeAwarenessUpdate(this.#awareness, clients);
  }

  /** A tab left or closed: its clients' states go, and everyone still in the room is told. */
  tabLeft(socket: BrowserSocket): void {
    const ids = this.#byTab.get(socket);
    this.#byTab.delete(socket);
    if (ids && ids.size > 0) removeAwarenessStates(this.#awareness, [...ids], "left");
  }

  /** A peer unlinked or lost access: the states that came through it go. */
  peerLeft(nodeId: string): void {
    const ids = this.#byPeer.get(nodeId);
    this.#byPeer.delete(nodeId);
    if (ids && ids.size > 0) removeAwarenessStates(this.#awareness, [...ids], "left");
  }

  destroy(): void {
    this.#awareness.destroy();
  }
}
