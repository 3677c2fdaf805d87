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

/** Deepest nesting of `[` and `{` outside strings; a linear scan with no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}
