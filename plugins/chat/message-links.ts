/** A run of a message's text: plain, or a web link to show as one. */
export type TextSegment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

// Only http and https are links; any other scheme (javascript:, data:, file:) stays text.
const CANDIDATE = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that ends a sentence around a link rather than belonging to it. */
const TRAILING = /[.,;:!?'"*_~]+$/;
const CLOSERS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/**
 * Cuts what a URL pattern grabbed back to the link a person meant: sentence punctuation after it,
 * and a closing bracket with no opening one inside ("(see https://x.org/a)"), stay outside.
 */
function trimCandidate(raw: string): string {
  let url = raw;
  for (;;) {
    const before = url;
    url = url.replace(TRAILING, "");
    const last = url.at(-1);
    const opener = last === undefined ? undefined : CLOSERS[last];
    if (opener !== undefined && count(url, opener) < count(url, last as string)) url = url.slice(0, -1);
    if (url === before) return url;
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/** The link's target when it is a well-formed http(s) URL, else null. */
function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return null;
    return url.href;
  } catch {
    return null;
  }
}

/**
 * Splits a message into plain text and http(s) links, in order; joining the segments' text gives
 * the message back unchanged. The view renders each segment as a text node or an anchor, never as
 * HTML, so nothing in a message can inject markup.
 */
export function splitLinks(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let plainFrom = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const shown = trimCandidate(match[0]);
    const href = safeHref(shown);
    if (href === null) continue;
    if (start > plainFrom) segments.push({ kind: "text", text: text.slice(plainFrom, start) });
    segments.push({ kind: "link", text: shown, href });
    plainFrom = start + shown.length;
  }
  if (plainFrom < text.length) segments.push({ kind: "text", text: text.slice(plainFrom) });
  return segments;
}
