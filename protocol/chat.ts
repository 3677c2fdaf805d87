import { z } from "zod";
import { hexId128, nodeId } from "./primitives.ts";

/**
 * Peer chat (the `chat` channel; docs/architecture.md): one conversation per peer, kept in SQLite on both
 * sides. A message is `queued` until it is on a link, `sent` until the peer has stored it,
 * `delivered` once it has, `read` once the peer's user has seen it, or `failed` when the peer
 * refused it (too large for its limit).
 */
export const chatStatus = z.enum(["queued", "sent", "delivered", "read", "failed"]);
export type ChatStatus = z.infer<typeof chatStatus>;

const messageId = hexId128;

/** One message as a tab sees it. `seq` orders a conversation on this node and pages history. */
export const chatMessage = z.object({
  id: z.string(),
  seq: z.number(),
  nodeId: z.string(),
  /** Node id of the author: this node for `out`, the peer for `in`. */
  from: z.string(),
  text: z.string(),
  /** When the author sent it, ms since the epoch. */
  ts: z.number(),
  direction: z.enum(["in", "out"]),
  /** For `out`: how far it got. For `in`: `delivered`, or `read` once this node's user saw it. */
  status: chatStatus,
  /** The sending tab's own id for it, echoed so that tab can match its pending message. */
  clientId: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessage>;

/** `/ws` `chat` channel, client → server. */
export const chatClientEvent = z.discriminatedUnion("event", [
  /** The tab shows this conversation now: it gets the backlog, and what arrives is read at once. */
  z.object({ event: z.literal("open"), data: z.object({ nodeId }) }),
  z.object({
    event: z.literal("send"),
    data: z.object({ nodeId, text: z.string().max(100_000), clientId: z.string().min(1).max(64) }),
  }),
  /** Everything in the conversation up to and including `upTo` (a message id) has been seen. */
  z.object({ event: z.literal("read"), data: z.object({ nodeId, upTo: messageId }) }),
  /** The tab no longer shows the conversation (closed, hidden, or another one opened). */
  z.object({ event: z.literal("close"), data: z.object({ nodeId }) }),
  /** Unread counts for every conversation, e.g. for a badge. */
  z.object({ event: z.literal("list_unread"), data: z.object({}).strict().default({}) }),
]);
export type ChatClientEvent = z.infer<typeof chatClientEvent>;

/** `/ws` `chat` channel, server → client. */
export const chatServerEvent = z.discriminatedUnion("event", [
  z.object({
    event: z.literal("history"),
    data: z.object({
      nodeId: z.string(),
      messages: z.array(chatMessage),
      unread: z.number(),
      hasMore: z.boolean(),
    }),
  }),
  z.object({ event: z.literal("message"), data: chatMessage }),
  z.object({
    event: z.literal("receipt"),
    data: z.object({ nodeId: z.string(), ids: z.array(z.string()), status: chatStatus }),
  }),
  z.object({ event: z.literal("unread"), data: z.object({ counts: z.record(z.string(), z.number()) }) }),
  z.object({
    event: z.literal("error"),
    data: z.object({ message: z.string(), nodeId: z.string().optional(), clientId: z.string().optional() }),
  }),
]);
export type ChatServerEvent = z.infer<typeof chatServerEvent>;

/** `GET /api/chat/:node_id/messages?before=<seq>&limit=<n>`: newest first page, oldest first in it. */
export const chatPage = z.object({ messages: z.array(chatMessage), hasMore: z.boolean() });
export type ChatPage = z.infer<typeof chatPage>;

/** Peer wire (sealed): one message. The receiver stores it once, whatever number of times it comes. */
export const chatMessageData = z.strictObject({
  id: messageId,
  text: z.string().max(1_000_000),
  ts: z.int().nonnegative(),
});
/** Peer wire: the receiver stored (`delivered`), showed (`read`) or refused (`failed`) these messages. */
export const chatReceiptData = z.strictObject({
  ids: z.array(messageId).min(1).max(500),
  status: z.enum(["delivered", "read", "failed"]),
  reason: z.string().max(200).optional(),
});
