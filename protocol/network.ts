import { z } from "zod";
import { nearbyResponse } from "./lan.ts";

/** How a peer came to be trusted (docs/architecture.md). */
export const peerVia = z.enum(["invite", "open-lan", "directory", "room", "dialed"]);
/** Which paths a person lets the node use for a peer (docs/architecture.md, path choice). */
export const pathPolicy = z.enum(["any", "direct-only", "never-relay"]);
export type PathPolicy = z.infer<typeof pathPolicy>;
export const peerStatus = z.enum(["connected", "connecting", "offline"]);

/** One peer as the UI and `/api/network/peers` show it (docs/architecture.md). */
export const peerRow = z.object({
  node_id: z.string(),
  node_name: z.string(),
  public_key: z.string(),
  status: peerStatus,
  transport: z.string().nullable(),
  trusted: z.boolean(),
  via: peerVia,
  blocked: z.boolean(),
  address: z.string().nullable(),
  last_seen: z.number().nullable(),
  rtt_ms: z.number().nullable(),
  /** Why the link runs over its transport (`relayed: no direct path answered`), null when offline. */
  path_reason: z.string().nullable(),
  path_policy: pathPolicy,
  /** How this node answers the peer's agent questions; null: `agent.defaultApproval`. */
  agent_policy: z.enum(["ask", "always", "never"]).nullable(),
  /** What the peer's node offers (its hello's capabilities, e.g. `agent`); empty while offline. */
  capabilities: z.array(z.string()),
});
export type PeerRow = z.infer<typeof peerRow>;
export type PeerStatus = z.infer<typeof peerStatus>;

export const selfRow = z.object({
  node_id: z.string(),
  node_name: z.string(),
  public_key: z.string(),
  addresses: z.array(z.string()),
});
export type SelfRow = z.infer<typeof selfRow>;

export const peersResponse = z.object({ self: selfRow, peers: z.array(peerRow) });
export type PeersResponse = z.infer<typeof peersResponse>;

export const pairResult = z.object({
  ok: z.boolean(),
  peer: peerRow.optional(),
  error: z.string().optional(),
});
export type PairResult = z.infer<typeof pairResult>;

/** Where a redeem or dial is, for progress shown to the user. */
export const pairStage = z.enum(["dialing", "handshaking", "connected", "failed"]);
export type PairStage = z.infer<typeof pairStage>;

export const inviteRequest = z.object({
  ttl_s: z
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .optional(),
});
/** `id` names the invite (not its token) so a later `invite_used` can be matched to it. */
export const inviteResponse = z.object({ invite: z.string(), expires: z.number(), id: z.string() });
export type InviteResponse = z.infer<typeof inviteResponse>;
export const pairRequest = z.object({ invite: z.string().min(1).max(4096) });
/** `PUT /api/network/peers/:node_id/path-policy`. */
export const pathPolicyRequest = z.strictObject({ policy: pathPolicy });
export const connectRequest = z.object({ address: z.string().min(1).max(300) });

/** `trust`: pair, block, unblock, key mismatch, forget; `refusal`: refused dials and disconnects. */
export const auditKind = z.enum(["trust", "refusal"]);
export type AuditKind = z.infer<typeof auditKind>;
/** `?kind=` of `GET /api/network/audit`. */
export const auditKindQuery = z.enum(["trust", "refusal", "all"]);

/** One event, or `count` repeats of it folded together from `ts` to `last_ts`. */
export const auditEntry = z.object({
  id: z.number(),
  ts: z.number(),
  last_ts: z.number(),
  count: z.number(),
  kind: auditKind,
  event: z.string(),
  node_id: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export const auditResponse = z.object({ entries: z.array(auditEntry) });
export type AuditEntry = z.infer<typeof auditEntry>;

/**
 * Bytes and messages each way over every link to one peer since the node started: a link that is
 * replaced or redialed adds to them rather than starting them over.
 */
export const linkTotals = z.object({
  bytes_in: z.number(),
  bytes_out: z.number(),
  msgs_in: z.number(),
  msgs_out: z.number(),
});
export type LinkTotals = z.infer<typeof linkTotals>;

/**
 * Link health per peer, as the monitor reports it. The counters are the current link's; `totals`
 * are the peer's across links, present wherever the monitor answers.
 */
export const peerMetrics = z.object({
  node_id: z.string(),
  node_name: z.string(),
  transport: z.string().nullable(),
  status: peerStatus,
  rtt_ms: z.number().nullable(),
  bytes_in: z.number(),
  bytes_out: z.number(),
  msgs_in: z.number(),
  msgs_out: z.number(),
  last_seen: z.number().nullable(),
  totals: linkTotals.optional(),
});
export type PeerMetrics = z.infer<typeof peerMetrics>;

/**
 * One monitor tick of one peer's link, kept in the node's ten-minute history. Counters are the
 * session's running totals; `in_bps`/`out_bps` are bytes per second since the sample before, null
 * while the link is down or for a peer's first sample.
 */
export const metricsSample = z.object({
  ts: z.number(),
  status: peerStatus,
  rtt_ms: z.number().nullable(),
  bytes_in: z.number(),
  bytes_out: z.number(),
  msgs_in: z.number(),
  msgs_out: z.number(),
  in_bps: z.number().nullable(),
  out_bps: z.number().nullable(),
});
export type MetricsSample = z.infer<typeof metricsSample>;

/** The monitor's history: samples per node id, oldest first, `interval_ms` apart. */
export const metricsHistory = z.object({
  interval_ms: z.number(),
  window_ms: z.number(),
  series: z.record(z.string(), z.array(metricsSample)),
});
export type MetricsHistory = z.infer<typeof metricsHistory>;

/**
 * A `peer_metrics` frame. A monitor tick also carries its time and the samples it added to the
 * history, so a tab extends its charts with exactly what a later `metrics_history` would return.
 */
export const peerMetricsEvent = z.object({
  metrics: z.array(peerMetrics),
  ts: z.number().optional(),
  samples: z.record(z.string(), metricsSample).optional(),
});
export type PeerMetricsEvent = z.infer<typeof peerMetricsEvent>;

/** `/ws` `network` channel, client → server. */
export const networkClientEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("list_peers"), data: z.object({}).strict().default({}) }),
  z.object({ event: z.literal("list_metrics"), data: z.object({}).strict().default({}) }),
  z.object({ event: z.literal("metrics_history"), data: z.object({}).strict().default({}) }),
  z.object({ event: z.literal("connect"), data: z.object({ address: z.string().min(1).max(300) }) }),
  z.object({ event: z.literal("disconnect"), data: z.object({ nodeId: z.string().min(1).max(64) }) }),
  z.object({ event: z.literal("pair_redeem"), data: z.object({ invite: z.string().min(1).max(4096) }) }),
  z.object({
    event: z.literal("mint_invite"),
    data: z
      .object({
        ttl_s: z
          .int()
          .min(60)
          .max(30 * 24 * 3600)
          .optional(),
      })
      .default({}),
  }),
]);
export type NetworkClientEvent = z.infer<typeof networkClientEvent>;

/** `/ws` `network` channel, server → client. */
export const networkServerEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("peers"), data: peersResponse }),
  z.object({ event: z.literal("peer_update"), data: z.object({ peer: peerRow }) }),
  z.object({ event: z.literal("peer_removed"), data: z.object({ nodeId: z.string() }) }),
  z.object({ event: z.literal("peer_metrics"), data: peerMetricsEvent }),
  z.object({ event: z.literal("metrics_history"), data: metricsHistory }),
  /** Progress of a `pair_redeem` or `connect` that this tab asked for. */
  z.object({
    event: z.literal("pair_progress"),
    data: z.object({ stage: pairStage, address: z.string().optional(), error: z.string().optional() }),
  }),
  z.object({ event: z.literal("pair_result"), data: pairResult }),
  z.object({ event: z.literal("invite"), data: inviteResponse }),
  /** Someone paired with this node using the invite `id` it minted. */
  z.object({
    event: z.literal("invite_used"),
    data: z.object({ id: z.string(), peer: z.object({ node_id: z.string(), node_name: z.string() }) }),
  }),
  /** Nodes on this network that are not paired with this one, whole, each time the list changes. */
  z.object({ event: z.literal("nearby"), data: nearbyResponse }),
  z.object({ event: z.literal("error"), data: z.object({ message: z.string() }) }),
]);
export type NetworkServerEvent = z.infer<typeof networkServerEvent>;
