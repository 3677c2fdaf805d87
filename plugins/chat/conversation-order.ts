import type { PeerRow } from "../../protocol/network.ts";

/**
 * The conversation list's order: most recent activity first (a message, or news that raised the
 * unread count), then conversations with unread messages, then by name, so quiet peers keep a
 * stable place.
 */
export function sortConversations(
  peers: readonly PeerRow[],
  activity: (nodeId: string) => number,
  unread: (nodeId: string) => number,
): PeerRow[] {
  return [...peers].sort(
    (a, b) =>
      activity(b.node_id) - activity(a.node_id) ||
      Number(unread(b.node_id) > 0) - Number(unread(a.node_id) > 0) ||
      a.node_name.localeCompare(b.node_name, undefined, { sensitivity: "base" }) ||
      a.node_id.localeCompare(b.node_id),
  );
}

/** A one-line preview: whitespace runs (newlines included) become single spaces. */
export function previewText(text: string, direction: "in" | "out"): string {
  const line = text.replace(/\s+/g, " ").trim();
  return direction === "out" ? `You: ${line}` : line;
}
