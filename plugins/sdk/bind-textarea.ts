import { captureCaret } from "./collab-caret.ts";
import { diffText } from "./text-diff.ts";
import type { Collab } from "./use-collab.ts";

/** Keys that move the caret: typing after one of them is a new undo step. */
const MOVES = new Set([
  "ArrowLeft",
  "ArrowRight",
  "ArrowUp",
  "ArrowDown",
  "Home",
  "End",
  "PageUp",
  "PageDown",
]);

/**
 * Binds a `<textarea>` (or text `<input>`) to a room's main text, both ways:
 * - what the user types goes in through `setText`, as a minimal diff;
 * - edits from elsewhere are written into the control with the caret and selection kept on the
 *   characters they were on, even when text is inserted or deleted before them;
 * - Ctrl/Cmd+Z and Shift+Ctrl/Cmd+Z (and Ctrl+Y) undo and redo this tab's own edits only. The
 *   browser's own undo is kept out: it would restore an old snapshot of the whole value and so
 *   delete what others typed since. Moving the caret (keys or pointer) ends an undo step.
 *
 * - a room whose owner stopped sharing it (`access` is `revoked`) makes the control read-only.
 *
 * Returns the function that unbinds. Use it from an attachment or `$effect`, and do not also bind
 * the control's `value` in Svelte: the binding owns it.
 */
export function bindTextarea(collab: Collab, el: HTMLTextAreaElement | HTMLInputElement): () => void {
  let applyingRemote = false;

  function write(value: string, start: number, end: number, direction?: "forward" | "backward" | "none") {
    // Replacing the value scrolls a textarea to the caret or the top; the user's view stays put.
    const { scrollTop, scrollLeft } = el;
    el.value = value;
    el.setSelectionRange(start, end, direction ?? "none");
    el.scrollTop = scrollTop;
    el.scrollLeft = scrollLeft;
  }

  // Every change to the control arrives here (typing, paste, cut, drop, IME composition), so the
  // control and the doc never differ for longer than one event.
  const onInput = () => collab.setText(el.value);

  function history(kind: "undo" | "redo") {
    if (kind === "undo") collab.undo();
    else collab.redo();
  }

  const onKeydown = (event: KeyboardEvent) => {
    if (MOVES.has(event.key)) collab.undoBoundary();
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "z") {
      event.preventDefault();
      history(event.shiftKey ? "redo" : "undo");
    } else if (key === "y" && !event.shiftKey) {
      event.preventDefault();
      history("redo");
    }
  };

  // Undo and redo from the context menu or a platform gesture.
  const onBeforeInput = (event: InputEvent) => {
    const type = event.inputType;
    if (type !== "historyUndo" && type !== "historyRedo") return;
    event.preventDefault();
    history(type === "historyUndo" ? "undo" : "redo");
  };

  const offRemote = collab.aroundRemoteChange(() => {
    // The offsets below must be offsets into the doc: push anything not yet pushed first.
    if (el.value !== collab.ytext.toString()) collab.setText(el.value);
    const direction = el.selectionDirection ?? undefined;
    const restore = captureCaret(collab, el.selectionStart ?? 0, el.selectionEnd ?? 0);
    applyingRemote = true;
    return () => {
      applyingRemote = false;
      const next = collab.ytext.toString();
      if (next === el.value) return;
      const { start, end } = restore();
      write(next, start, end, direction);
    };
  });

  // Changes that are neither typed here nor remote: undo, redo, the pane calling setText, the first
  // state. The caret goes to the end of what changed, as a text editor's undo does.
  const offText = collab.text.subscribe((next) => {
    if (applyingRemote || next === el.value) return;
    const splice = diffText(el.value, next);
    const caret = splice ? splice.index + splice.insert.length : next.length;
    write(next, caret, caret);
  });

  const offAccess = collab.access.subscribe((access) => {
    el.readOnly = access === "revoked";
  });

  // Moving elsewhere by pointer ends the undo step, as moving by keyboard does.
  const onPointerdown = () => collab.undoBoundary();

  // Through HTMLElement: TypeScript cannot pick an addEventListener overload on the union.
  const node: HTMLElement = el;
  node.addEventListener("input", onInput);
  node.addEventListener("keydown", onKeydown);
  node.addEventListener("beforeinput", onBeforeInput);
  node.addEventListener("pointerdown", onPointerdown);
  return () => {
    node.removeEventListener("input", onInput);
    node.removeEventListener("keydown", onKeydown);
    node.removeEventListener("beforeinput", onBeforeInput);
    node.removeEventListener("pointerdown", onPointerdown);
    offRemote();
    offText();
    offAccess();
  };
}
