import { z } from "zod";
import { nodeId } from "./primitives.ts";

/**
 * LAN discovery (docs/architecture.md, "LAN discovery"): what a node says of itself in mDNS, and
 * the nearby nodes the Peers pane lists. Everything in an mDNS packet comes from whoever is on the
 * network, so the record is parsed here before anything else reads it.
 */

/** The DNS-SD service type, `_weft._tcp`. */
export const LAN_SERVICE_TYPE = "weft";
/** Longest name a record may carry, as `network.nodeName` allows. */
export const LAN_NAME_MAX = 64;
/** Nearby nodes listed at once; more are ignored until some leave. */
export const NEARBY_MAX = 64;

/**
 * One advertisement: the TXT strings `id`, `name`, `v` and the SRV port of `/peer-ws`. TXT values
 * arrive as strings; a missing or malformed one refuses the whole record.
 */
export const lanRecord = z.object({
  id: nodeId,
  name: z
    .string()
    .max(LAN_NAME_MAX * 4)
    .transform((s) => s.replace(/\p{Cc}/gu, "").trim())
    .pipe(z.string().max(LAN_NAME_MAX)),
  v: z
    .string()
    .regex(/^[0-9]{1,6}$/, "must be a protocol version")
    .transform(Number),
  port: z.int().min(1).max(65_535),
});
export type LanRecord = z.infer<typeof lanRecord>;

/** A node on this network that is not paired with this one. */
export const nearbyNode = z.object({
  node_id: nodeId,
  node_name: z.string(),
  /** The `ws://<ipv4>:<port>/peer-ws` it was heard from. */
  address: z.string(),
  /** When it last answered, ms since the epoch. */
  seen_at: z.number(),
});
export type NearbyNode = z.infer<typeof nearbyNode>;

/** `GET /api/network/nearby`, and the `nearby` event on the `network` channel. */
export const nearbyResponse = z.object({
  /** `network.enableLanDiscovery`. */
  enabled: z.boolean(),
  /** Why discovery is on but not working (the mDNS port is taken, the node listens on loopback). */
  problem: z.string().nullable(),
  /** `network.trustMode`: in `open-lan` a nearby node is linked without an invite. */
  trust_mode: z.enum(["manual", "directory", "open-lan"]),
  nodes: z.array(nearbyNode),
});
export type NearbyResponse = z.infer<typeof nearbyResponse>;
