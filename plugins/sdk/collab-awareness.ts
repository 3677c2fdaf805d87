import { type Readable, readonly, writable } from "svelte/store";
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from "y-protocols/awareness";
import * as Y from "yjs";
import { collabCaretState } from "../../protocol/collab.ts";

/** A caret or selection as `selectionStart`-style ends: `anchor` stays put, `head` moves. */
export interface CaretEnds {
  anchor: number;
  head: number;
}

/** Someone else's caret in the room's main text, resolved to offsets in the text as it is now. */
export interface RemoteCaret {
  /** Their awareness client id: one per tab. */
  clientId: number;
  name: string;
  color: string;
  anchor: number;
  head: number;
  /** True while they are typing (an edit in the last `TYPING_IDLE_MS`). */
  typing: boolean;
}

/** How long after the last edit a tab stops saying it is typing. */
export const TYPING_IDLE_MS = 1500;

/** Caret colours, readable on light and dark themes; each tab's follows from its client id. */
const COLOURS = ["#d23f31", "#2a7de1", "#1e9e5a", "#b25dd6", "#e08a00", "#0097a7", "#c2185b", "#5c6bc0"];

export function colourFor(clientId: number): string {
  return COLOURS[clientId % COLOURS.length] ?? "#2a7de1";
}

/** Origin of awareness updates that came from the node: never sent back. */
const REMOTE = Symbol("awareness-remote");

/**
 * A room's awareness as a tab sees it (y-protocols/awareness on the room's doc): this tab's caret,
 * name, colour and whether it is typing, and everyone else's carets. Changes of this tab's own
 * state go to `send`; frames from the node go in through `receive`. Another tab's state is used
 * only when it has the shape `collabCaretState` describes.
 */
export function collabAwareness(
  doc: Y.Doc,
  ytext: Y.Text,
  opts: { name(): string; send(update: Uint8Array): void },
) {
  const awareness = new Awareness(doc);
  // Nothing is published until the pane reports a caret: a tab that shows no text (or a pane that
  // never asks for carets) costs the room nothing.
  awareness.setLocalState(null);
  const carets = writable<RemoteCaret[]>([]);
  let caret: { anchor: unknown; head: unknown } | null = null;
  let typing = false;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;

  const publishing = () => awareness.getLocalState() !== null;

  function publish() {
    awareness.setLocalState({
      user: { name: opts.name().slice(0, 80), color: colourFor(awareness.clientID) },
      caret,
      typing,
    });
  }

  function resolve(pos: unknown): number | null {
    try {
      const abs = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(pos), doc);
      return abs && abs.type === ytext ? abs.index : null;
    } catch {
      return null;
    }
  }

  function refresh() {
    const next: RemoteCaret[] = [];
    for (const [clientId, raw] of awareness.getStates()) {
      if (clientId === awareness.clientID) continue;
      const state = collabCaretState.safeParse(raw);
      if (!state.success) continue;
      const { user, caret: ends } = state.data;
      const anchor = ends ? resolve(ends.anchor) : null;
      const head = ends ? resolve(ends.head) : null;
      if (anchor === null || head === null) continue;
      next.push({
        clientId,
        name: user.name,
        color: user.color,
        anchor,
        head,
        typing: state.data.typing === true,
      });
    }
    carets.set(next);
  }

  const onUpdate = (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    if (origin === REMOTE) return;
    const clients = [...changes.added, ...changes.updated, ...changes.removed];
    if (clients.length > 0) opts.send(encodeAwarenessUpdate(awareness, clients));
  };
  awareness.on("update", onUpdate);
  awareness.on("change", refresh);
  // Others' carets are pinned to characters: they move when the text changes under them.
  ytext.observe(refresh);

  return {
    awareness,
    remoteCarets: readonly(carets) as Readable<RemoteCaret[]>,
    setLocalCaret(ends: CaretEnds | null) {
      const at = (i: number) =>
        Y.relativePositionToJSON(
          Y.createRelativePositionFromTypeIndex(ytext, Math.max(0, Math.min(i, ytext.length))),
        );
      const next = ends ? { anchor: at(ends.anchor), head: at(ends.head) } : null;
      if (JSON.stringify(next) === JSON.stringify(caret)) return;
      caret = next;
      publish();
    },
    /** This tab edited the text: it is typing until it has been idle for `TYPING_IDLE_MS`. */
    typed() {
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => {
        typing = false;
        if (publishing()) publish();
      }, TYPING_IDLE_MS);
      if (typing) return;
      typing = true;
      if (publishing()) publish();
    },
    /** Applies an update from the node; a malformed one is dropped. */
    receive(update: Uint8Array) {
      try {
        applyAwarenessUpdate(awareness, update, REMOTE);
      } catch {
        // Dropped whole by the node already; a broken frame here changes nothing anyone sees.
      }
    },
    /**
     * After a (re)join: the node dropped this tab's state when the socket went, so it is sent again
     * with a newer clock (the node ignores a clock it has seen).
     */
    rejoined() {
      const others = [...awareness.getStates().keys()].filter((id) => id !== awareness.clientID);
      removeAwarenessStates(awareness, others, REMOTE);
      if (publishing()) publish();
    },
    destroy() {
      clearTimeout(typingTimer);
      ytext.unobserve(refresh);
      removeAwarenessStates(awareness, [awareness.clientID], "destroy");
      awareness.off("update", onUpdate);
      awareness.destroy();
    },
  };
}
