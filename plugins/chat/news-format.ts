/** The longest preview a notice shows; the conversation has the rest. */
export const PREVIEW_CHARS = 120;

/** One conversation's news: how many more messages it has unread than before. */
export interface Rise {
  nodeId: string;
  added: number;
}

/**
 * Which conversations got news between two unread maps, busiest first. The first map a tab sees
 * is old news, so with no `before` nothing rose.
 */
export function unreadRises(
  before: Readonly<Record<string, number>> | null,
  after: Readonly<Record<string, number>>,
): Rise[] {
  if (before === null) return [];
  const rises: Rise[] = [];
  for (const [nodeId, n] of Object.entries(after)) {
    const added = n - (before[nodeId] ?? 0);
    if (added > 0) rises.push({ nodeId, added });
  }
  return rises.sort((a, b) => b.added - a.added || a.nodeId.localeCompare(b.nodeId));
}

/** A notice's body: one line, cut at a word near the limit, with how many more came with it. */
export function newsPreview(text: string, added: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  let cut = line;
  if (line.length > PREVIEW_CHARS) {
    const head = line.slice(0, PREVIEW_CHARS);
    const space = head.lastIndexOf(" ");
    cut = `${(space > PREVIEW_CHARS / 2 ? head.slice(0, space) : head).trimEnd()}…`;
  }
  return added > 1 ? `${cut} (+${added - 1} more)` : cut;
}
