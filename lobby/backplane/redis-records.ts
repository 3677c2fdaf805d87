/**
 * What the Redis backplane keeps in Redis and hears from it, as text: node records and rooms as
 * JSON, node changes on the `nodes` channel. What is read back is parsed on the way in, and what
 * does not parse is dropped.
 */
import { z } from "zod";
import { NODE_ID } from "../../protocol/primitives.ts";
import type { HeldNode, NodeRecord, RoomRecord, SharedRoom } from "./backplane.ts";
import type { HeldEntry } from "./store-link.ts";

const nodeRecord = z.strictObject({
  nodeId: z.string().regex(NODE_ID),
  publicKey: z.string().max(64),
  name: z.string().max(256),
  capabilities: z.array(z.string().max(64)).max(64),
  addresses: z.array(z.string().max(512)).max(32),
  listed: z.boolean(),
  since: z.number().int().nonnegative(),
  instance: z.string(),
});

const roomBody = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  name: z.string().max(256),
  host: z.string().regex(NODE_ID),
  hostName: z.string().max(256),
  visibility: z.enum(["public", "unlisted"]),
  policy: z.enum(["open", "token"]),
  tokenHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

/** A message on the `nodes` channel: `c` a node changed (holder, seq, record), `l` one left. */
export const nodesMessage = z.union([
  z.strictObject({ c: z.string(), s: z.number().int().nonnegative(), n: nodeRecord }),
  z.strictObject({ l: z.string().regex(NODE_ID), h: z.string() }),
]);

/** `"<holder> <seq> <record JSON>"`, as a node is kept in its instance's hash. */
export function parseEntry(value: unknown): HeldEntry | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\S+) (\d+) /.exec(value);
  if (!m) return undefined;
  try {
    const node = nodeRecord.safeParse(JSON.parse(value.slice(m[0].length)));
    return node.success ? { node: node.data, holder: m[1]!, seq: Number(m[2]) } : undefined;
  } catch {
    return undefined;
  }
}

/** `[record, created, instance, members]` as the room scripts return a room. */
export function parseRoom(value: unknown): SharedRoom | undefined {
  if (!Array.isArray(value) || value.length < 4) return undefined;
  const [record, created, instance, members] = value as unknown[];
  if (typeof record !== "string" || typeof instance !== "string") return undefined;
  try {
    const body = roomBody.safeParse(JSON.parse(record));
    if (!body.success) return undefined;
    const { tokenHash, ...rest } = body.data;
    return {
      ...rest,
      tokenHash,
      createdAt: Number(created),
      instance,
      members: 1 + Number(members),
    };
  } catch {
    return undefined;
  }
}

/** A node's record as kept in Redis, with the instance holding it. */
export function heldJson(instance: string, record: NodeRecord): string {
  const held: HeldNode = {
    nodeId: record.nodeId,
    publicKey: record.publicKey,
    name: record.name,
    capabilities: [...record.capabilities],
    addresses: [...record.addresses],
    listed: record.listed,
    since: record.since,
    instance,
  };
  return JSON.stringify(held);
}

/** A room's record as kept in Redis; its token hash only when it has one. */
export function roomJson(room: RoomRecord): string {
  const body: z.infer<typeof roomBody> = {
    id: room.id,
    name: room.name,
    host: room.host,
    hostName: room.hostName,
    visibility: room.visibility,
    policy: room.policy,
    ...(room.tokenHash !== undefined ? { tokenHash: room.tokenHash } : {}),
  };
  return JSON.stringify(body);
}
