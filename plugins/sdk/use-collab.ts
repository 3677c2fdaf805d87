import { derived, get, type Readable, readonly, toStore, writable } from "svelte/store";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import {
  COLLAB_META,
  COLLAB_TEXT,
  COLLAB_TITLE,
  type CollabMember,
  collabServerEvent,
  MAX_TITLE,
  type NodeRef,
  type RoomAccess,
} from "../../protocol/collab.ts";
import { fromBase64, toBase64 } from "./base64.ts";
import { type CaretEnds, collabAwareness, type RemoteCaret } from "./collab-awareness.ts";
import { type ConnectionState, type PaneHost, useHost } from "./host.ts";
import { diffText } from "./text-diff.ts";

export { type CaretEnds, type RemoteCaret, TYPING_IDLE_MS } from "./collab-awareness.ts";
export { type CaretRange, type CaretSource, captureCaret } from "./collab-caret.ts";
export { paneKeyFor } from "./collab-key.ts";

/**
 * Where this tab stands with its room: `joining` until the node sent the room's state, `live`
 * while edits flow both ways, `offline` while the tab cannot reach its node (edits made meanwhile
 * stay in the doc and are sent when the room is joined again).
 */
export type CollabStatus = "joining" | "live" | "offline";

/** A shared room as a pane sees it: a Yjs doc kept in sync with every tab and node in the room. */
export interface Collab {
  /** The room's address: `<paneId>:<key>` for a room of this node, `…@<owner>` for another's. */
  readonly paneKey: string;
  /** The room's document, for panes that need more than one text or other Yjs types. */
  readonly doc: Y.Doc;
  /** The room's main text, `doc.getText(COLLAB_TEXT)`. */
  readonly ytext: Y.Text;
  /** The main text as a string; changes with every edit, local or remote. */
  readonly text: Readable<string>;
  /** True when the room is shared with at least one peer node. */
  readonly shared: Readable<boolean>;
  /** Node ids the room is shared with. */
  readonly sharedWith: Readable<string[]>;
  /** Who is in the room: tabs on this node and peer nodes, by name. */
  readonly members: Readable<CollabMember[]>;
  /**
   * This node's standing in the room: `owner`, `guest` (someone else's room, opened here) or
   * `revoked` (its owner stopped sharing: read-only). `invited` only until the node answers.
   */
  readonly access: Readable<RoomAccess>;
  /** Who owns the room; null for a room of this node. */
  readonly owner: Readable<NodeRef | null>;
  /** True once the node says the room was deleted here; the pane should show another room. */
  readonly deleted: Readable<boolean>;
  /** The room's title (shared with everyone in it); "" when it has none. */
  readonly title: Readable<string>;
  /** Renames the room for everyone in it; cut to the longest title kept. */
  setTitle(next: string): void;
  /** The room's revision, as last reported by the node (count of updates it applied). */
  readonly rev: Readable<number>;
  /** See `CollabStatus`. */
  readonly status: Readable<CollabStatus>;
  /** The last error the node reported for this room, or null; cleared when the room goes live. */
  readonly error: Readable<string | null>;
  /**
   * Calls `listener` with every error the node reports for this room (a refused share, a refused
   * update), including repeats of the same message. Returns the function that stops it.
   */
  onError(listener: (message: string) => void): () => void;
  /**
   * Replaces the main text. Only the difference (common prefix and suffix kept) is applied, in one
   * transaction, so concurrent edits elsewhere in the text survive. A lone surrogate (half an
   * emoji) is stored as U+FFFD.
   */
  setText(next: string): void;
  /** Undoes this tab's last edit; edits from other tabs and nodes stay. */
  undo(): void;
  /** Redoes what `undo` took back. */
  redo(): void;
  /**
   * Ends the current undo step. Edits close together in time are undone together; call this when
   * the user moves elsewhere, so typing in two places is never undone as one.
   */
  undoBoundary(): void;
  /** Shares the room with one peer node, or with every connected trusted peer when no id is given. */
  share(nodeId?: string): void;
  /** Stops sharing with one peer node, or with every peer when no id is given. */
  unshare(nodeId?: string): void;
  /**
   * Runs `before` right before an update from elsewhere is applied to the doc, outside any
   * transaction, and the function it returns right after. The place to capture a caret
   * (`captureCaret`) and restore it. Returns the function that removes the hook.
   */
  aroundRemoteChange(before: () => (() => void) | undefined): () => void;
  /**
   * The room's awareness (y-protocols): this tab's state is `{ user: { name, color }, caret,
   * typing }`; everyone in the room, on this node and on the peers it is shared with, sees it.
   */
  readonly awareness: Awareness;
  /**
   * Tells the room where this tab's caret or selection is (offsets in the main text), or that it
   * has none. Pinned to characters, so it stays put for others while the text changes.
   */
  setLocalCaret(ends: CaretEnds | null): void;
  /** Everyone else's carets in the room, with names and colours, at offsets in the text as it is now. */
  readonly remoteCarets: Readable<RemoteCaret[]>;
  /** Leaves the room and stops listening; the collab must not be used afterwards. */
  destroy(): void;
}

/** Origin of updates that came from the node: never sent back, never undone here. */
const REMOTE = Symbol("collab-remote");
/** Origin of `setText`, tracked by the undo manager along with direct `ytext` edits (origin null). */
const LOCAL = Symbol("collab-local");

/** `encodeStateAsUpdate` of a doc with nothing the other side lacks: no structs, no deletions. */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * Joins the room `paneKey` and keeps a Yjs doc in sync with it. Built only on `PaneHost`'s
 * `subscribe`, `send` and `onReconnect`, so a separately bundled pane can pass the host it was
 * given; panes inside the shell leave `host` out.
 *
 * Every frame is checked with `collabServerEvent` and frames for other rooms are ignored. On the
 * room's `state` the tab applies it and sends back what the room lacks of the tab's own doc, so
 * edits made while offline merge instead of being lost. A reconnect joins again.
 */
export function useCollab(paneKey: string, host: PaneHost = useHost()): Collab {
  const doc = new Y.Doc();
  const ytext = doc.getText(COLLAB_TEXT);
  const meta = doc.getMap(COLLAB_META);
  const undoManager = new Y.UndoManager(ytext, { trackedOrigins: new Set([LOCAL, null]) });

  const text = writable("");
  const sharedWith = writable<string[]>([]);
  const members = writable<CollabMember[]>([]);
  const rev = writable(0);
  const error = writable<string | null>(null);
  const access = writable<RoomAccess>(paneKey.includes("@") ? "guest" : "owner");
  const owner = writable<NodeRef | null>(null);
  const deleted = writable(false);
  const title = writable("");
  const room = writable<CollabStatus>("joining");
  // The socket's state as last known. Followed live where `host.connection` is reactive (inside
  // the shell); a separately bundled pane's Svelte cannot track the shell's runes, so every send
  // also tells: a send that goes out means connected, one that fails means not.
  const link = writable<ConnectionState>(host.connection);
  const status = derived([room, link], ([r, l]) => (l === "connected" ? r : "offline"));

  let live = false;
  let joinedOnce = false;
  // Whether `join` went out on the socket as it is now; updates wait for it (the node refuses
  // them before a join) and the room's next `state` brings them in.
  let joined = false;
  let destroyed = false;
  const hooks = new Set<() => (() => void) | undefined>();
  const errorListeners = new Set<(message: string) => void>();

  function setRoom(next: CollabStatus) {
    live = next === "live";
    room.set(next);
  }

  /** Sends one frame and notes what that says about the socket. */
  function send(event: string, data: unknown): boolean {
    const sent = host.send("collab", event, data);
    link.set(sent ? "connected" : host.connection === "connected" ? "offline" : host.connection);
    if (!sent) joined = false;
    return sent;
  }

  function join() {
    setRoom("joining");
    joined = send("join", { paneKey });
    if (joined) joinedOnce = true;
  }

  function sendUpdate(update: Uint8Array) {
    if (joined && !isEmptyUpdate(update)) send("update", { paneKey, update: toBase64(update) });
  }

  function reportError(message: string) {
    error.set(message);
    for (const listener of errorListeners) listener(message);
  }

  /** Applies bytes from the node; false when they are not a Yjs update. */
  function applyRemote(update: Uint8Array): boolean {
    const after: (() => void)[] = [];
    for (const hook of hooks) {
      const done = hook();
      if (done) after.push(done);
    }
    try {
      Y.applyUpdate(doc, update, REMOTE);
      return true;
    } catch {
      return false;
    } finally {
      for (const done of after) done();
    }
  }

  /**
   * What the room lacks of this tab's doc, given the room's state: nothing for a fresh tab,
   * exactly the offline edits after a gap (plus the deletions Yjs always carries, which the node
   * ignores when it has them). The whole doc when the state's vector cannot be read.
   */
  function missingFrom(roomState: Uint8Array): Uint8Array {
    try {
      return Y.encodeStateAsUpdate(doc, Y.encodeStateVectorFromUpdate(roomState));
    } catch {
      return Y.encodeStateAsUpdate(doc);
    }
  }

  const presence = collabAwareness(doc, ytext, {
    name: () => host.node?.node_name ?? "",
    send(update) {
      if (joined && !destroyed) send("awareness", { paneKey, update: toBase64(update) });
    },
  });

  const onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === REMOTE) return;
    sendUpdate(update);
    presence.typed();
  };
  doc.on("update", onUpdate);
  ytext.observe(() => text.set(ytext.toString()));
  const readTitle = () => {
    const value = meta.get(COLLAB_TITLE);
    title.set(typeof value === "string" ? value : "");
  };
  meta.observe(readTitle);

  const offFrames = host.subscribe("collab", (frame) => {
    const parsed = collabServerEvent.safeParse(frame);
    if (!parsed.success || destroyed) return;
    const event = parsed.data;
    switch (event.event) {
      case "rooms":
        return;
      case "deleted":
        if (event.data.paneKey === paneKey) deleted.set(true);
        return;
      case "error":
        // An error naming no room (e.g. the node does not speak `collab`) concerns a room still joining.
        if (event.data.paneKey === paneKey || (event.data.paneKey === undefined && !live)) {
          reportError(event.data.message);
        }
        return;
      case "state": {
        if (event.data.paneKey !== paneKey) return;
        const update = fromBase64(event.data.update);
        if (!update || !applyRemote(update)) return;
        rev.set(event.data.rev);
        members.set(event.data.members);
        sharedWith.set(event.data.sharedWith);
        access.set(event.data.access);
        owner.set(event.data.owner);
        error.set(null);
        setRoom("live");
        sendUpdate(missingFrom(update));
        presence.rejoined();
        return;
      }
      case "update": {
        if (event.data.paneKey !== paneKey) return;
        const update = fromBase64(event.data.update);
        if (update && applyRemote(update)) rev.set(event.data.rev);
        return;
      }
      case "awareness": {
        if (event.data.paneKey !== paneKey) return;
        const update = fromBase64(event.data.update);
        if (update) presence.receive(update);
        return;
      }
      case "presence":
        if (event.data.paneKey === paneKey) members.set(event.data.members);
        return;
      case "sharing":
        if (event.data.paneKey !== paneKey) return;
        sharedWith.set(event.data.sharedWith);
        access.set(event.data.access);
        return;
    }
  });

  // A pane created before the socket first opened could not join; the welcome says it is open now.
  // Later reconnects are covered by onReconnect, which also fires on a welcome.
  const offSystem = host.subscribe("system", (frame) => {
    if (frame.event === "welcome" && !joinedOnce && !destroyed) join();
  });
  const offReconnect = host.onReconnect(() => {
    if (!destroyed) join();
  });
  // Frames sent while the socket was down are lost: the room must be joined again once it is back.
  const offLink = toStore(() => host.connection).subscribe((state) => {
    if (destroyed) return;
    link.set(state);
    if (state === "connected") return;
    joined = false;
    setRoom("joining");
  });

  join();

  return {
    paneKey,
    doc,
    ytext,
    text: readonly(text),
    shared: derived(sharedWith, (ids) => ids.length > 0),
    sharedWith: readonly(sharedWith),
    members: readonly(members),
    rev: readonly(rev),
    access: readonly(access),
    owner: readonly(owner),
    deleted: readonly(deleted),
    title: readonly(title),
    setTitle(next) {
      const value = next.trim().slice(0, MAX_TITLE);
      if (value !== (meta.get(COLLAB_TITLE) ?? "")) doc.transact(() => meta.set(COLLAB_TITLE, value), LOCAL);
    },
    status,
    error: readonly(error),
    onError(listener) {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    setText(next) {
      // The node refuses edits to a read-only room; keeping them out here keeps the copies equal.
      if (get(access) === "revoked") return;
      // A lone surrogate would let Yjs split a pair differently on each side (it patches splits
      // with U+FFFD locally), and the copies would drift apart; store U+FFFD for it up front.
      const splice = diffText(ytext.toString(), next.toWellFormed());
      if (!splice) return;
      doc.transact(() => {
        if (splice.remove > 0) ytext.delete(splice.index, splice.remove);
        if (splice.insert !== "") ytext.insert(splice.index, splice.insert);
      }, LOCAL);
    },
    undo: () => undoManager.undo(),
    redo: () => undoManager.redo(),
    undoBoundary: () => undoManager.stopCapturing(),
    share(nodeId) {
      send("share", nodeId === undefined ? { paneKey } : { paneKey, nodeId });
    },
    unshare(nodeId) {
      send("unshare", nodeId === undefined ? { paneKey } : { paneKey, nodeId });
    },
    awareness: presence.awareness,
    setLocalCaret: (ends) => presence.setLocalCaret(ends),
    remoteCarets: presence.remoteCarets,
    aroundRemoteChange(before) {
      hooks.add(before);
      return () => hooks.delete(before);
    },
    destroy() {
      if (destroyed) return;
      presence.destroy();
      destroyed = true;
      host.send("collab", "leave", { paneKey });
      offFrames();
      offSystem();
      offReconnect();
      offLink();
      hooks.clear();
      errorListeners.clear();
      undoManager.destroy();
      doc.off("update", onUpdate);
      doc.destroy();
    },
  };
}
