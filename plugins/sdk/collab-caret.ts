import * as Y from "yjs";

/** A selection in a text, as UTF-16 offsets (what `selectionStart`/`selectionEnd` use). */
export interface CaretRange {
  start: number;
  end: number;
}

/** What `captureCaret` needs of a room: its doc and the text the caret lives in. */
export interface CaretSource {
  readonly doc: Y.Doc;
  readonly ytext: Y.Text;
}

/**
 * Pins a caret or selection to the characters around it, so it can be put back where the user was
 * after the text changed under it, including changes before it. Returns the function that
 * computes the range in the text as it is now. Capture right before a change from elsewhere is
 * applied (see `Collab.aroundRemoteChange`) and restore right after.
 *
 * A collapsed caret sticks to the character on its left: when someone types at exactly the same
 * spot, their text lands after the caret and what this user types stays in one piece. A selection
 * sticks to its own first and last characters, so text typed at its edges stays outside it.
 */
export function captureCaret(source: CaretSource, start: number, end: number): () => CaretRange {
  const { doc, ytext } = source;
  const collapsed = start === end;
  const from = Y.createRelativePositionFromTypeIndex(ytext, clamp(start, ytext.length), collapsed ? -1 : 0);
  const to = Y.createRelativePositionFromTypeIndex(ytext, clamp(end, ytext.length), -1);
  return () => {
    const length = ytext.length;
    const a = clamp(Y.createAbsolutePositionFromRelativePosition(from, doc)?.index ?? start, length);
    // A selection whose text was deleted entirely collapses at its start rather than inverting.
    const b = collapsed
      ? a
      : Math.max(a, clamp(Y.createAbsolutePositionFromRelativePosition(to, doc)?.index ?? end, length));
    return { start: a, end: b };
  };
}

function clamp(index: number, length: number): number {
  return Math.max(0, Math.min(index, length));
}
