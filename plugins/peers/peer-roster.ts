import type { PeerRow } from "../../protocol/network.ts";

/** What the user can do to a peer from its row. */
export type PeerAction = "connect" | "disconnect" | "block" | "unblock" | "forget";

/** The list with `peer` replacing the row of the same node, or added when it is new. */
export function upsertPeer(peers: readonly PeerRow[], peer: PeerRow): PeerRow[] {
  const at = peers.findIndex((p) => p.node_id === peer.node_id);
  if (at === -1) return [...peers, peer];
  const next = [...peers];
  next[at] = peer;
  return next;
}

/** The list without the row of `nodeId`; the same array when there was none, so nothing re-renders. */
export function removePeer(peers: readonly PeerRow[], nodeId: string): readonly PeerRow[] {
  return peers.some((p) => p.node_id === nodeId) ? peers.filter((p) => p.node_id !== nodeId) : peers;
}
