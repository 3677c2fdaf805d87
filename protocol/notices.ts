import { z } from "zod";

/**
 * The inbox: things that happened while the user may not have been looking, kept in SQLite so they
 * survive reloads and restarts. Every tab's bell shows the unread count; `/ws` channel `notices`.
 */
export const noticeKind = z.enum([
  /** A peer shared a pane or note with this node. */
  "share_received",
  /** A peer stopped sharing something it had shared. */
  "share_revoked",
  /** Someone paired with this node using an invite it minted. */
  "invite_used",
  /** Someone asks to join one of this node's lobby rooms. */
  "join_request",
  /** A blocked node tried to connect; one notice per node per hour, with a count. */
  "blocked_attempt",
  /** A peer's question for this node's agent waits for its person's approval. */
  "agent_question",
  /** A third-party pane allowed to (`notify`) put a notice in the inbox; its text starts with its name. */
  "plugin",
]);
export type NoticeKind = z.infer<typeof noticeKind>;

/** The peer a notice is about. */
export const noticePeer = z.object({ node_id: z.string(), node_name: z.string() });
export type NoticePeer = z.infer<typeof noticePeer>;

/** What the notice's button does: open a pane, with optional parameters for it. */
export const noticeAction = z.object({
  label: z.string().min(1).max(60),
  paneId: z.string().min(1).max(64),
  params: z.record(z.string(), z.string()).optional(),
});
export type NoticeAction = z.infer<typeof noticeAction>;

/** One notice as a tab sees it; `ts` is when it last happened (ms since the epoch). */
export const notice = z.object({
  id: z.number(),
  ts: z.number(),
  kind: noticeKind,
  peer: noticePeer.nullable(),
  text: z.string(),
  action: noticeAction.optional(),
  read: z.boolean(),
});
export type Notice = z.infer<typeof notice>;

const noticeId = z.int().positive();

/** `/ws` `notices` channel, client → server. */
export const noticesClientEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("list"), data: z.object({}).strict().default({}) }),
  /** Marks these notices read; without `ids`, every notice. */
  z.object({
    event: z.literal("read"),
    data: z.object({ ids: z.array(noticeId).max(500).optional() }).default({}),
  }),
  z.object({ event: z.literal("dismiss"), data: z.object({ id: noticeId }) }),
]);
export type NoticesClientEvent = z.infer<typeof noticesClientEvent>;

/** The newest notices first, and how many of all of them are unread. */
export const noticesList = z.object({ notices: z.array(notice), unread: z.number() });
export type NoticesList = z.infer<typeof noticesList>;

/** `/ws` `notices` channel, server → client. */
export const noticesServerEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("list"), data: noticesList }),
  /** A new notice, or a coalesced one that happened again (same id, new `ts` and text). */
  z.object({ event: z.literal("added"), data: z.object({ notice, unread: z.number() }) }),
  /** Notices were read or dismissed in some tab: every tab refreshes its bell. */
  z.object({ event: z.literal("changed"), data: z.object({ unread: z.number() }) }),
  z.object({ event: z.literal("error"), data: z.object({ message: z.string() }) }),
]);
export type NoticesServerEvent = z.infer<typeof noticesServerEvent>;

/** `GET /api/notices?limit=`: same shape as the channel's `list`. */
export const noticesResponse = noticesList;
export type NoticesResponse = NoticesList;
