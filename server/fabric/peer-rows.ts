import type { PeerMetrics, PeerRow } from "../../protocol/network.ts";
import type { PeerSession } from "./peer-session.ts";
import type { PeerRecord } from "./peer-store.ts";

/**
 * A stored peer as the UI sees it, with the live state of its session when it has one; `address`
 * is where it is reached first (the path that last worked).
 */
export function toPeerRow(
  rec: PeerRecord,
  session: PeerSession | undefined,
  dialing: boolean,
  address: string | null,
): PeerRow {
  return {
    node_id: rec.nodeId,
    node_name: session?.peerName ?? rec.nodeName,
    public_key: rec.publicKey,
    status: session ? "connected" : dialing ? "connecting" : "offline",
    transport: session?.link.transport ?? null,
    trusted: rec.trusted,
    via: rec.via as PeerRow["via"],
    blocked: rec.blocked,
    address,
    last_seen: session ? session.lastSeen : rec.lastSeen,
    rtt_ms: session?.rttMs ?? null,
    path_reason: session ? (session.pathReason ?? null) : null,
    path_policy: rec.pathPolicy,
    agent_policy: rec.agentPolicy ?? null,
    capabilities: session ? [...session.capabilities] : [],
  };
}

/** Link health of one peer: its row plus the session's byte and message counters. */
export function toPeerMetrics(row: PeerRow, session: PeerSession | undefined): PeerMetrics {
  return {
    node_id: row.node_id,
    node_name: row.node_name,
    transport: row.transport,
    status: row.status,
    rtt_ms: row.rtt_ms,
    bytes_in: session?.stats.bytesIn ?? 0,
    bytes_out: session?.stats.bytesOut ?? 0,
    msgs_in: session?.stats.msgsIn ?? 0,
    msgs_out: session?.stats.msgsOut ?? 0,
    last_seen: row.last_seen,
  };
}
