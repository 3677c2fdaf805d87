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

/** A rectangle of a textarea's text, in the same coordinates as `CaretBox`. */
export interface TextRect {
  top: number;
  left: number;
  width: number;
  height: number;
}

/**
 * Lays a textarea's value out in a hidden div with the same box, font and wrapping (a textarea
 * tells nothing of its layout), with `value.slice(from, to)` in a span of its own, and hands that
 * span to `measure` while the mirror is in the page. The mirror is narrowed by the textarea's
 * scrollbar, so it wraps where the textarea does.
 */
function measureIn<T>(
  el: HTMLTextAreaElement,
  from: number,
  to: number,
  measure: (span: HTMLSpanElement, mirror: HTMLDivElement) => T,
): T {
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
  const span = document.createElement("span");
  span.textContent = value.slice(from, to);
  mirror.append(value.slice(0, from), span, value.slice(to));
  document.body.append(mirror);
  try {
    return measure(span, mirror);
  } finally {
    mirror.remove();
  }
}

/** Measures where offset `index` of a textarea's value is drawn. */
export function caretBox(el: HTMLTextAreaElement, index: number): CaretBox {
  const style = getComputedStyle(el);
  const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  // A marker with no text has no box: it holds the rest of the line (or a dot at the very end),
  // so the line keeps wrapping as it does in the control.
  const end = el.value.length;
  if (index >= end) {
    return measureIn(el, end, end, (span) => {
      span.textContent = ".";
      return { top: span.offsetTop, left: span.offsetLeft, height: lineHeight };
    });
  }
  return measureIn(el, index, end, (span) => ({
    top: span.offsetTop,
    left: span.offsetLeft,
    height: lineHeight,
  }));
}

/** The rectangles a selection `[start, end)` covers, one per line it spans. */
export function selectionRects(el: HTMLTextAreaElement, start: number, end: number): TextRect[] {
  if (end <= start) return [];
  return measureIn(el, start, end, (span, mirror) => {
    const origin = mirror.getBoundingClientRect();
    return (
      [...span.getClientRects()]
        .filter((r) => r.width > 0)
        // Offsets from inside the border, as `offsetTop` and `offsetLeft` are for carets.
        .map((r) => ({
          top: r.top - origin.top - mirror.clientTop,
          left: r.left - origin.left - mirror.clientLeft,
          width: r.width,
          height: r.height,
        }))
    );
  });
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
