import { z } from "zod";
import { paneId } from "./pane.ts";
import { base64Text, NODE_ID, nodeId } from "./primitives.ts";

/**
 * Shared panes (docs/architecture.md, "Shared panes"). A room belongs to the node that made it and
 * is named by its owner and its pane key, `<paneId>:<key>`; its document is a Yjs doc whose main
 * text is the `Y.Text` named `text`. Sharing gives chosen peers access to the owner's document: on
 * their side it is a separate room, never merged into their own room of the same key.
 *
 * Tabs name a room by its **address**: the bare pane key for a room this node owns, and
 * `<paneKey>@<ownerNodeId>` for a room another node shared with it. The peer wire names it by
 * `room` (the pane key) and `owner` (the owner's node id).
 */

/** The Y.Text every collab pane edits. */
export const COLLAB_TEXT = "text";
/** The Y.Map of a room's document holding facts about it, such as its title. */
export const COLLAB_META = "meta";
/** Key of the room's title in `COLLAB_META`; shown in room lists on every node it reaches. */
export const COLLAB_TITLE = "title";
/** Longest room title kept; longer ones are cut. */
export const MAX_TITLE = 120;

const PANE_KEY = /^[a-z][a-z0-9-]{0,39}:[a-z0-9-]{1,64}$/;

export const paneKey = z
  .string()
  .max(106)
  .refine((k) => PANE_KEY.test(k), "must be <paneId>:<key>");
export type PaneKey = z.infer<typeof paneKey>;

/** A room as a tab names it: `<paneKey>` (mine) or `<paneKey>@<ownerNodeId>` (shared with me). */
export const roomAddress = z
  .string()
  .max(123)
  .refine((a) => parseRoomAddress(a) !== null, "must be <paneId>:<key> or <paneId>:<key>@<node id>");

/** A room address taken apart; `owner` is null for a room of this node. */
export interface RoomRef {
  paneKey: string;
  owner: string | null;
}

/** Splits a room address, or null when it is not one. */
export function parseRoomAddress(address: string): RoomRef | null {
  const at = address.indexOf("@");
  const key = at < 0 ? address : address.slice(0, at);
  const owner = at < 0 ? null : address.slice(at + 1);
  if (!PANE_KEY.test(key) || (owner !== null && !NODE_ID.test(owner))) return null;
  return { paneKey: key, owner };
}

/** The address of a room: the pane key alone for a room of this node. */
export function roomAddressOf(key: string, owner: string | null): string {
  return owner === null ? key : `${key}@${owner}`;
}

/** The pane a room (by pane key or address) belongs to. */
export function paneIdOf(key: string): string {
  return key.slice(0, key.indexOf(":"));
}

/** Largest Yjs update accepted from a tab or a peer, as base64 text. */
export const MAX_UPDATE_CHARS = 4 * 1024 * 1024;
const b64Update = base64Text(MAX_UPDATE_CHARS);

/**
 * Largest awareness update (y-protocols/awareness: carets, selections, who is typing) accepted
 * from a tab or a peer, as base64 text. Awareness is small and frequent; a large one is abuse.
 */
export const MAX_AWARENESS_CHARS = 64 * 1024;
const b64Awareness = base64Text(MAX_AWARENESS_CHARS);

/** Who is in a room: a tab on this node, or a peer node that has the room open. */
export const collabMember = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["tab", "node"]),
  /** The tab that receives this list. */
  self: z.boolean(),
});
export type CollabMember = z.infer<typeof collabMember>;

/**
 * This node's standing in a room: `owner` (its own room), `invited` (shared with it, not opened
 * yet: nothing has been fetched), `guest` (opened; edits flow with the owner), `revoked` (the
 * owner stopped sharing: a read-only copy that may be deleted).
 */
export const roomAccess = z.enum(["owner", "invited", "guest", "revoked"]);
export type RoomAccess = z.infer<typeof roomAccess>;

const nodeRef = z.object({ node_id: z.string(), node_name: z.string() });
export type NodeRef = z.infer<typeof nodeRef>;

/** One room in a pane's list of rooms (`rooms`), mine and those shared with me. */
export const roomListing = z.object({
  /** The room's address, as `join` takes it. */
  paneKey: z.string(),
  title: z.string(),
  /** Null for a room of this node. */
  owner: nodeRef.nullable(),
  access: roomAccess,
  /** Who an owned room is shared with (empty for others' rooms). */
  sharedWith: z.array(nodeRef),
  updatedAt: z.number(),
});
export type RoomListing = z.infer<typeof roomListing>;

/** `/ws` `collab` channel, client → server. Joining an `invited` room is what opens it. */
export const collabClientEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("join"), data: z.object({ paneKey: roomAddress }) }),
  z.object({ event: z.literal("leave"), data: z.object({ paneKey: roomAddress }) }),
  z.object({ event: z.literal("update"), data: z.object({ paneKey: roomAddress, update: b64Update }) }),
  /** This tab's awareness (caret, selection, typing), relayed to everyone in the room. */
  z.object({
    event: z.literal("awareness"),
    data: z.object({ paneKey: roomAddress, update: b64Awareness }),
  }),
  /** Owner only. No nodeId: every connected trusted peer. */
  z.object({
    event: z.literal("share"),
    data: z.object({ paneKey: roomAddress, nodeId: nodeId.optional() }),
  }),
  z.object({
    event: z.literal("unshare"),
    data: z.object({ paneKey: roomAddress, nodeId: nodeId.optional() }),
  }),
  /** Lists a pane's rooms and keeps this tab told of changes to that list. */
  z.object({ event: z.literal("rooms"), data: z.object({ paneId }) }),
  /** Deletes a room of mine (its guests keep read-only copies) or my copy of someone else's. */
  z.object({ event: z.literal("delete"), data: z.object({ paneKey: roomAddress }) }),
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
      access: roomAccess,
      owner: nodeRef.nullable(),
    }),
  }),
  z.object({
    event: z.literal("update"),
    data: z.object({ paneKey: z.string(), rev: z.number(), update: z.string(), from: z.string() }),
  }),
  /** Others' awareness in the room: carets, selections, who is typing; a null state left. */
  z.object({
    event: z.literal("awareness"),
    data: z.object({ paneKey: z.string(), update: z.string() }),
  }),
  z.object({
    event: z.literal("presence"),
    data: z.object({ paneKey: z.string(), members: z.array(collabMember) }),
  }),
  /** Who the room is shared with, or this node's access to it, changed. */
  z.object({
    event: z.literal("sharing"),
    data: z.object({ paneKey: z.string(), sharedWith: z.array(z.string()), access: roomAccess }),
  }),
  z.object({
    event: z.literal("rooms"),
    data: z.object({ paneId: z.string(), rooms: z.array(roomListing) }),
  }),
  /** The room was deleted on this node; tabs in it move elsewhere. */
  z.object({ event: z.literal("deleted"), data: z.object({ paneKey: z.string() }) }),
  z.object({
    event: z.literal("error"),
    data: z.object({ message: z.string(), paneKey: z.string().optional() }),
  }),
]);
export type CollabServerEvent = z.infer<typeof collabServerEvent>;

/** Peer wire (sealed): the sender shares a room of its own with the receiver. */
export const collabShareData = z.strictObject({
  room: paneKey,
  title: z.string().max(MAX_TITLE).optional(),
});
/**
 * Peer wire: from the owner, it stops sharing (the receiver keeps a read-only copy); from a guest,
 * it removed its copy, so the owner stops sharing with it.
 */
export const collabUnshareData = z.strictObject({ room: paneKey, owner: nodeId });
/**
 * Peer wire, state-vector sync between a room's owner and one guest; a node that reconnects
 * catches up on what it missed this way. `sv` asks "send me what I lack"; `update` is what the
 * receiver lacked. The opener carries only `sv`; the answer carries `update` and its own `sv`;
 * the last message carries only `update`. `owner` says whose room it is: the sender's or the
 * receiver's, never a third node's.
 */
export const collabSyncData = z
  .strictObject({ room: paneKey, owner: nodeId, sv: b64Update.optional(), update: b64Update.optional() })
  .refine((d) => d.sv !== undefined || d.update !== undefined, "needs sv or update");
export const collabUpdateData = z.strictObject({ room: paneKey, owner: nodeId, update: b64Update });
/** Peer wire: awareness of a room, between its owner and a guest that has it open, both ways. */
export const collabAwarenessData = z.strictObject({ room: paneKey, owner: nodeId, update: b64Awareness });

/**
 * The awareness state a collab pane publishes (`useCollab`). Caret ends are Yjs relative positions
 * in the main text (`Y.relativePositionToJSON`), so they stay put while others edit. Checked on
 * receipt: anything else in a state is ignored.
 */
export const collabCaretState = z.object({
  user: z.object({
    name: z.string().max(80),
    color: z.string().regex(/^#[0-9a-f]{6}$/),
  }),
  caret: z.object({ anchor: z.unknown(), head: z.unknown() }).nullable().optional(),
  typing: z.boolean().optional(),
});
export type CollabCaretState = z.infer<typeof collabCaretState>;
