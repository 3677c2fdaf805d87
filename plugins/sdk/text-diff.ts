/** The one splice that turns one text into another: at `index`, remove `remove` units, insert `insert`. */
export interface TextSplice {
  index: number;
  remove: number;
  insert: string;
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * The smallest single splice from `prev` to `next`, found by their common prefix and suffix; null
 * when they are equal. Indexes are UTF-16 units, as in JavaScript strings and Yjs. The edges never
 * split a surrogate pair, so concurrent edits cannot leave half an emoji behind.
 */
export function diffText(prev: string, next: string): TextSplice | null {
  if (prev === next) return null;
  const max = Math.min(prev.length, next.length);
  let prefix = 0;
  while (prefix < max && prev.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  if (prefix > 0 && isHigh(prev.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const room = max - prefix;
  while (
    suffix < room &&
    prev.charCodeAt(prev.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)
  ) {
    suffix++;
  }
  if (suffix > 0 && isLow(prev.charCodeAt(prev.length - suffix))) suffix--;
  return {
    index: prefix,
    remove: prev.length - prefix - suffix,
    insert: next.slice(prefix, next.length - suffix),
  };
}
