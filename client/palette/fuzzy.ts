/** A fuzzy match: higher scores rank first; `indices` are the matched characters, for highlighting. */
export interface FuzzyMatch {
  score: number;
  indices: number[];
}

const WORD_BREAK = /[\s\-_./:]/;

/**
 * Matches `query` as a case-insensitive subsequence of `text`. Characters that start a word or
 * follow the previous match score extra, and gaps cost a little, so "st" ranks "Settings" above
 * "Scratch text" and a prefix beats a scattered hit. Null when some character is missing.
 */
export function fuzzyMatch(query: string, text: string): FuzzyMatch | null {
  const q = query.trim().toLowerCase();
  if (q === "") return { score: 0, indices: [] };
  const t = text.toLowerCase();
  const indices: number[] = [];
  let score = 0;
  let from = 0;
  for (const ch of q) {
    if (ch === " ") continue;
    const at = t.indexOf(ch, from);
    if (at < 0) return null;
    const previous = indices[indices.length - 1];
    score += 1;
    if (at === 0 || WORD_BREAK.test(t[at - 1] ?? "")) score += 6;
    if (previous !== undefined && at === previous + 1) score += 4;
    score -= Math.min(3, at - from) * 0.5;
    indices.push(at);
    from = at + 1;
  }
  // Shorter texts win ties: the query covers more of them.
  return { score: score - text.length * 0.01, indices };
}

/** Items that match, best first; an empty query keeps every item in its order. */
export function fuzzyFilter<T>(
  items: readonly T[],
  query: string,
  fields: (item: T) => string[],
): Array<{ item: T; match: FuzzyMatch; field: number }> {
  const ranked: Array<{ item: T; match: FuzzyMatch; field: number; order: number }> = [];
  for (const [order, item] of items.entries()) {
    let best: { match: FuzzyMatch; field: number } | undefined;
    for (const [field, text] of fields(item).entries()) {
      const match = fuzzyMatch(query, text);
      // Later fields (an id, say) count for less than the first (the title).
      if (match && (!best || match.score - field > best.match.score - best.field)) best = { match, field };
    }
    if (best) ranked.push({ item, ...best, order });
  }
  ranked.sort((a, b) => b.match.score - b.field - (a.match.score - a.field) || a.order - b.order);
  return ranked.map(({ item, match, field }) => ({ item, match, field }));
}
