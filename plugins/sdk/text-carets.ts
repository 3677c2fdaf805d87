import type { Collab } from "./use-collab.ts";

/** Where a caret sits in a textarea: offsets from its border box's top-left, before scrolling. */
export interface CaretBox {
  top: number;
  left: number;
  height: number;
}

/** What the mirror copies: everything that decides where a line wraps and how tall it is. */
const MIRRORED = [
  "boxSizing",
  "width",
  "borderTopWidth",
  "borderRightWidth",
  "borderBottomWidth",
  "borderLeftWidth",
  "borderStyle",
  "paddingTop",
  "paddingRight",
  "paddingBottom",
  "paddingLeft",
  "fontFamily",
  "fontSize",
  "fontWeight",
  "fontStyle",
  "fontVariant",
  "fontStretch",
  "lineHeight",
  "letterSpacing",
  "wordSpacing",
  "textIndent",
  "textTransform",
  "tabSize",
] as const;

/**
 * Measures where offset `index` of a textarea's value is drawn. A textarea tells nothing of its
 * layout, so a hidden div with the same box, font and wrapping holds the text up to `index`
 * followed by a marker, and the marker's position is the caret's. The mirror is narrowed by the textarea's
 * scrollbar, so it wraps where the textarea does.
 */
export function caretBox(el: HTMLTextAreaElement, index: number): CaretBox {
  const style = getComputedStyle(el);
  const mirror = document.createElement("div");
  for (const key of MIRRORED) mirror.style[key] = style[key];
  const scrollbar =
    el.offsetWidth - el.clientWidth - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth);
  mirror.style.paddingRight = `${parseFloat(style.paddingRight) + Math.max(0, scrollbar)}px`;
  Object.assign(mirror.style, {
    position: "absolute",
    visibility: "hidden",
    top: "0",
    left: "-9999px",
    whiteSpace: "pre-wrap",
    overflowWrap: "break-word",
    overflow: "hidden",
    height: "auto",
  });
  const value = el.value;
  mirror.textContent = value.slice(0, index);
  const marker = document.createElement("span");
  // A marker with no text has no box; the rest of the line keeps wrapping as it does in the control.
  marker.textContent = value.slice(index) || ".";
  mirror.append(marker);
  document.body.append(mirror);
  const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  const box = { top: marker.offsetTop, left: marker.offsetLeft, height: lineHeight };
  mirror.remove();
  return box;
}

/**
 * Tells the room where the caret or selection of `el` is, whenever the user moves it or types,
 * so others see it. Returns the function that stops.
 */
export function reportCaret(collab: Collab, el: HTMLTextAreaElement | HTMLInputElement): () => void {
  const report = () => {
    const start = el.selectionStart ?? 0;
    const end = el.selectionEnd ?? start;
    const backward = el.selectionDirection === "backward";
    collab.setLocalCaret(backward ? { anchor: end, head: start } : { anchor: start, head: end });
  };
  const node: HTMLElement = el;
  const events = ["select", "input", "keyup", "pointerup", "focus"] as const;
  for (const event of events) node.addEventListener(event, report);
  // `select` fires only for selections; a caret moved by code (a remote edit) is told here too.
  document.addEventListener("selectionchange", onSelectionChange);
  function onSelectionChange() {
    if (document.activeElement === el) report();
  }
  return () => {
    for (const event of events) node.removeEventListener(event, report);
    document.removeEventListener("selectionchange", onSelectionChange);
  };
}
