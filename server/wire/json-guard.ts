/** Keys that could reach an object's prototype if any code ever merged peer data naively. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export class FrameRejected extends Error {
  override readonly name = "FrameRejected";
  /** A short stable code, counted per peer and shown in the audit log. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Parses a peer frame as JSON, refusing nesting deeper than `maxDepth` before the parser ever
 * recurses, and any forbidden key anywhere. Throws `FrameRejected`.
 */
export function parseGuardedJson(text: string, maxDepth: number): unknown {
  if (jsonDepth(text) > maxDepth) throw new FrameRejected("too_deep", `JSON nested deeper than ${maxDepth}`);
  if (!mayHoldForbiddenKey(text)) {
    try {
      return JSON.parse(text);
    } catch {
      throw new FrameRejected("bad_json", "frame is not JSON");
    }
  }
  let forbidden: string | undefined;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => {
      if (FORBIDDEN_KEYS.has(key)) forbidden = key;
      return v;
    });
  } catch {
    throw new FrameRejected("bad_json", "frame is not JSON");
  }
  if (forbidden !== undefined) throw new FrameRejected("forbidden_key", `key "${forbidden}" is not allowed`);
  return value;
}

/**
 * Whether any key of `text` could decode to a forbidden one. A key spells one only literally or
 * through a `\u` escape (no other JSON escape yields a letter or `_`), so text with neither can
 * skip the per-key reviver, which costs more than the parse itself. `proto` is in `__proto__` and
 * in `prototype`.
 */
function mayHoldForbiddenKey(text: string): boolean {
  return text.includes("proto") || text.includes("constructor") || text.includes("\\u");
}

/**
 * Deepest nesting of `[` and `{` outside strings; a linear scan with no recursion. A string is
 * skipped in one native search for its closing quote: the first `"` not escaped by an odd run of
 * backslashes.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end === -1) return max;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = end;
    } else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}
