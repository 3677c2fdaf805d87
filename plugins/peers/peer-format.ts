/**
 * What only the Peers pane says about a peer: how the pairing came about, how the link travels,
 * and the list's order. Ages, round trips and status words come from the SDK.
 */
import type { PeerRow, PeerStatus } from "../../protocol/network.ts";

const VIA_LABELS: Record<PeerRow["via"], { label: string; detail: string }> = {
  invite: { label: "You invited them", detail: "They redeemed an invite this node made." },
  dialed: {
    label: "They invited you",
    detail: "This node reached theirs, with the invite they sent or their address.",
  },
  "open-lan": {
    label: "Joined over your LAN",
    detail: "They connected while this node let anyone on the network in (open LAN).",
  },
  directory: { label: "Met in a lobby room", detail: "A lobby room you share admitted them." },
  room: {
    label: "Met in a lobby room",
    detail: "They joined a lobby room (or you joined theirs) and the host admitted them.",
  },
};

/** How the pairing came about, from this node's side, in words a person would use. */
export function viaLabel(via: PeerRow["via"]): string {
  return VIA_LABELS[via].label;
}

/** One sentence more about `viaLabel`, for its tooltip. */
export function viaDetail(via: PeerRow["via"]): string {
  return VIA_LABELS[via].detail;
}

const TRANSPORT_LABELS: Readonly<Record<string, string>> = {
  direct: "Direct",
  relay: "Relayed",
  webrtc: "Peer-to-peer",
  memory: "In-process",
};

/** How the bytes travel: "Direct", "Relayed", …; "No link" when there is none. */
export function transportLabel(transport: string | null): string {
  if (transport === null || transport === "") return "No link";
  return TRANSPORT_LABELS[transport] ?? transport.charAt(0).toUpperCase() + transport.slice(1);
}

/** The path policies a person can pick for a peer, with what each means. */
export const PATH_POLICY_CHOICES: ReadonlyArray<{ value: PeerRow["path_policy"]; label: string }> = [
  { value: "any", label: "Any path (direct, peer to peer, then relayed)" },
  { value: "never-relay", label: "Never through a lobby's relay" },
  { value: "direct-only", label: "Direct links only" },
];

/** What a peer's questions to this node's agent get; "" stands for the node's default. */
export const AGENT_POLICY_CHOICES: ReadonlyArray<{
  value: "" | NonNullable<PeerRow["agent_policy"]>;
  label: string;
}> = [
  { value: "", label: "Their agent questions: as my default" },
  { value: "ask", label: "Their agent questions: ask me each time" },
  { value: "always", label: "Their agent questions: answer at once" },
  { value: "never", label: "Their agent questions: never answer" },
];

/**
 * What the row says about the path beside the transport: why it is relayed, if it is, and which
 * way a WebRTC link found (the candidate pair, and whether a TURN server carries it).
 */
export function pathNote(peer: Pick<PeerRow, "transport" | "path_reason">): string | null {
  if (!peer.path_reason) return null;
  if (peer.transport === "relay") return peer.path_reason.replace(/^relayed:\s*/, "");
  if (peer.transport === "webrtc" && peer.path_reason.startsWith("webrtc: ")) {
    return peer.path_reason.slice("webrtc: ".length);
  }
  return null;
}

const STATUS_ORDER: Record<PeerStatus, number> = { connected: 0, connecting: 1, offline: 2 };

/** Live links first, blocked peers last, then by name so the list does not jump around. */
export function sortPeers(peers: readonly PeerRow[]): PeerRow[] {
  return [...peers].sort(
    (a, b) =>
      Number(a.blocked) - Number(b.blocked) ||
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      a.node_name.localeCompare(b.node_name, undefined, { sensitivity: "base" }) ||
      a.node_id.localeCompare(b.node_id),
  );
}
