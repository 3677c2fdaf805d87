import type { CollabMember } from "../../protocol/collab.ts";
import type { PeerRow } from "../../protocol/network.ts";

/** One peer the room can be shared with, as the share menu lists it. */
export interface ShareCandidate {
  nodeId: string;
  name: string;
  connected: boolean;
  shared: boolean;
}

/**
 * Who the share menu offers: every connected, trusted, unblocked peer, plus anyone the room is
 * already shared with (even offline, so it can be unshared). Sorted by name so rows do not jump.
 */
export function shareCandidates(peers: readonly PeerRow[], sharedWith: readonly string[]): ShareCandidate[] {
  const shared = new Set(sharedWith);
  const rows = new Map<string, ShareCandidate>();
  for (const peer of peers) {
    const eligible = peer.status === "connected" && peer.trusted && !peer.blocked;
    if (!eligible && !shared.has(peer.node_id)) continue;
    rows.set(peer.node_id, {
      nodeId: peer.node_id,
      name: peer.node_name || peer.node_id.slice(0, 8),
      connected: peer.status === "connected",
      shared: shared.has(peer.node_id),
    });
  }
  for (const nodeId of sharedWith) {
    if (!rows.has(nodeId))
      rows.set(nodeId, { nodeId, name: nodeId.slice(0, 8), connected: false, shared: true });
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || a.nodeId.localeCompare(b.nodeId),
  );
}

/** "Share", "Shared with bob", "Shared with bob and carol", "Shared with 3 peers". */
export function shareLabel(sharedWith: readonly string[], peers: readonly PeerRow[]): string {
  if (sharedWith.length === 0) return "Share";
  const names = sharedWith.map((id) => peers.find((p) => p.node_id === id)?.node_name || id.slice(0, 8));
  if (names.length === 1) return `Shared with ${names[0]}`;
  if (names.length === 2) return `Shared with ${names[0]} and ${names[1]}`;
  return `Shared with ${names.length} peers`;
}

/** One name in the presence strip; several tabs of one node under one name count once each. */
export interface PresenceChip {
  key: string;
  label: string;
  /** The member's own name, for its initial ("You" is still somebody). */
  name: string;
  count: number;
  self: boolean;
  kind: CollabMember["kind"];
}

/** Members grouped by name and kind, this tab first, then by name. */
export function presenceChips(members: readonly CollabMember[]): PresenceChip[] {
  const chips = new Map<string, PresenceChip>();
  for (const m of members) {
    const key = m.self ? "self" : `${m.kind}:${m.name}`;
    const chip = chips.get(key);
    if (chip) {
      chip.count++;
      continue;
    }
    const name = m.name || "unnamed";
    chips.set(key, { key, label: m.self ? "You" : name, name, count: 1, self: m.self, kind: m.kind });
  }
  return [...chips.values()].sort(
    (a, b) =>
      Number(b.self) - Number(a.self) || a.label.localeCompare(b.label, undefined, { sensitivity: "base" }),
  );
}

/** Characters as people count them, not UTF-16 units: an emoji counts once. */
export function countChars(text: string): number {
  let surrogates = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff) surrogates++;
  }
  return text.length - surrogates;
}
