import { z } from "zod";
import { paneId } from "./pane.ts";

/**
 * Shared panes (DESIGN section 8). A room is named by its pane key, `<paneId>:<key>`; its document
 * is a Yjs doc whose main text is the `Y.Text` named `text`. Updates travel as base64 Yjs updates.
 */

/** The Y.Text every collab pane edits. */
export const COLLAB_TEXT = "text";

export const paneKey = z
  .string()
  .max(106)
  .refine((k) => /^[a-z][a-z0-9-]{0,39}:[a-z0-9-]{1,64}$/.test(k), "must be <paneId>:<key>");
export type PaneKey = z.infer<typeof paneKey>;

/** The pane a room belongs to. */
export function paneIdOf(key: string): string {
  return key.slice(0, key.indexOf(":"));
}

/** Largest Yjs update accepted from a tab or a peer, as base64 text. */
export const MAX_UPDATE_CHARS = 4 * 1024 * 1024;
const b64Update = z
  .string()
  .max(MAX_UPDATE_CHARS)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

/** Who is in a room: a tab on this node, or a node the room is shared with that is online. */
export const collabMember = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["tab", "node"]),
  /** The tab that receives this list. */
  self: z.boolean(),
});
export type CollabMember = z.infer<typeof collabMember>;

const nodeId = z.string().regex(/^[a-z2-7]{16}$/);

/** `/ws` `collab` channel, client → server. */
export const collabClientEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("join"), data: z.object({ paneKey }) }),
  z.object({ event: z.literal("leave"), data: z.object({ paneKey }) }),
  z.object({ event: z.literal("update"), data: z.object({ paneKey, update: b64Update }) }),
  /** No nodeId: every connected trusted peer. */
  z.object({ event: z.literal("share"), data: z.object({ paneKey, nodeId: nodeId.optional() }) }),
  z.object({ event: z.literal("unshare"), data: z.object({ paneKey, nodeId: nodeId.optional() }) }),
]);
export type CollabClientEvent = z.infer<typeof collabClientEvent>;

/** `/ws` `collab` channel, server → client. */
export const collabServerEvent = z.discriminatedUnion("event", [
  z.object({
    event: z.literal("state"),
    data: z.object({
      paneKey: z.string(),
      rev: z.number(),
      update: z.string(),
      members: z.array(collabMember),
      sharedWith: z.array(z.string()),
    }),
  }),
  z.object({
    event: z.literal("update"),
    data: z.object({ paneKey: z.string(), rev: z.number(), update: z.string(), from: z.string() }),
  }),
  z.object({
    event: z.literal("presence"),
    data: z.object({ paneKey: z.string(), members: z.array(collabMember) }),
  }),
  /** Who the room is shared with changed. */
  z.object({
    event: z.literal("sharing"),
    data: z.object({ paneKey: z.string(), sharedWith: z.array(z.string()) }),
  }),
  /** A peer shared a room with this node: shown as a notice, with a way to open the pane. */
  z.object({
    event: z.literal("room_shared"),
    data: z.object({
      paneKey: z.string(),
      paneId: z.string(),
      by: z.object({ node_id: z.string(), node_name: z.string() }),
    }),
  }),
  z.object({
    event: z.literal("error"),
    data: z.object({ message: z.string(), paneKey: z.string().optional() }),
  }),
]);
export type CollabServerEvent = z.infer<typeof collabServerEvent>;

/** Peer wire (sealed): the sender shares a room with the receiver. */
export const collabShareData = z.strictObject({ room: paneKey });
/** Peer wire: the sender stops sharing; updates stop both ways. */
export const collabUnshareData = z.strictObject({ room: paneKey });
/**
 * Peer wire, state-vector sync; a node that reconnects catches up on what it missed this way.
 * `sv` asks "send me what I lack"; `update` is what the receiver lacked. The opener carries only
 * `sv`; the answer carries `update` and its own `sv`; the last message carries only `update`.
 */
export const collabSyncData = z
  .strictObject({ room: paneKey, sv: b64Update.optional(), update: b64Update.optional() })
  .refine((d) => d.sv !== undefined || d.update !== undefined, "needs sv or update");
export const collabUpdateData = z.strictObject({ room: paneKey, update: b64Update });

/** `pane.json` of a third-party pane in `<data-dir>/plugins/<id>/` (DESIGN section 9). */
export const pluginManifest = z.strictObject({
  id: paneId,
  name: z.string().min(1).max(60),
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, "must be a semver version like 1.0.0"),
  /** Range of weft versions the pane works with, e.g. `>=0.1.0 <1`. */
  engine: z.string().min(1).max(60),
  /** The ESM bundle, relative to the pane's folder. */
  entry: z.string().min(1).max(200),
  icon: z.string().max(8).optional(),
  description: z.string().max(200).optional(),
  collab: z
    .strictObject({
      room: z.enum(["shared", "instance"]),
      key: z
        .string()
        .regex(/^[a-z0-9-]{1,40}$/)
        .optional(),
      autoShare: z.boolean().optional(),
    })
    .optional(),
});
export type PluginManifest = z.infer<typeof pluginManifest>;
