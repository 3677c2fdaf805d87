import type { ChatMessage, ChatPage, ChatStatus } from "../../protocol/chat.ts";
import { advanceStatus, type ShownStatus } from "./chat-status.ts";

/** A message this tab sent that the node has not echoed yet. */
export interface PendingMessage {
  clientId: string;
  text: string;
  ts: number;
  /** The link dropped before the node answered: it may or may not have been stored. */
  stale: boolean;
}

/** One conversation as this tab knows it. Every change returns a new value (state is `$state.raw`). */
export interface Thread {
  /** Stored messages, oldest first, by `seq`. */
  messages: readonly ChatMessage[];
  pending: readonly PendingMessage[];
  /** Older messages exist before the first one held. */
  hasMore: boolean;
  /** The node sent this conversation's history at least once. */
  loaded: boolean;
  /** The first message that was unread when the conversation was opened, for a "new" divider. */
  unreadFrom: string | null;
}

export const emptyThread: Thread = {
  messages: [],
  pending: [],
  hasMore: false,
  loaded: false,
  unreadFrom: null,
};

/** A row of the message list: a stored message or a pending one. */
export interface ShownMessage {
  key: string;
  /** The stored id, or the client id while pending. */
  id: string;
  text: string;
  ts: number;
  direction: "in" | "out";
  status: ShownStatus;
  pending: boolean;
  stale: boolean;
}

function bySeq(a: ChatMessage, b: ChatMessage): number {
  return a.seq - b.seq;
}

/** Drops pending rows the node has now stored (matched by the client id it echoes). */
function settlePending(
  pending: readonly PendingMessage[],
  stored: readonly ChatMessage[],
): readonly PendingMessage[] {
  if (pending.length === 0) return pending;
  const echoed = new Set(stored.map((m) => m.clientId).filter((id) => id !== undefined));
  return echoed.size === 0 ? pending : pending.filter((p) => !echoed.has(p.clientId));
}

/**
 * The newest page from the node (`history`) merged with what is held. When the page overlaps what
 * is held, older messages loaded by scrolling up stay; when it does not (many messages came while
 * the tab looked away), the page replaces them, since keeping both would leave a silent gap.
 */
export function withHistory(thread: Thread, page: ChatPage & { unread: number }): Thread {
  const incoming = [...page.messages].sort(bySeq);
  const first = incoming[0];
  const last = incoming.at(-1);
  let messages: ChatMessage[] = incoming;
  let hasMore = page.hasMore;
  if (first && last && thread.messages.some((m) => m.id === first.id)) {
    const older = thread.messages.filter((m) => m.seq < first.seq);
    const newer = thread.messages.filter((m) => m.seq > last.seq);
    messages = [...older, ...incoming, ...newer];
    if (older.length > 0) hasMore = thread.hasMore;
  }
  return {
    messages,
    pending: settlePending(thread.pending, messages),
    hasMore,
    loaded: true,
    unreadFrom: unreadStart(messages, page.unread),
  };
}

/** The `unread`-th newest incoming message: where the unread ones began. */
function unreadStart(messages: readonly ChatMessage[], unread: number): string | null {
  if (unread <= 0) return null;
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.direction !== "in") continue;
    seen++;
    if (seen === unread) return m.id;
  }
  // More unread than held: the divider goes above the oldest held incoming message.
  return messages.find((m) => m.direction === "in")?.id ?? null;
}

/** An older page (REST, `before=<first seq>`) put in front. */
export function withOlder(thread: Thread, page: ChatPage): Thread {
  const held = new Set(thread.messages.map((m) => m.id));
  const older = page.messages.filter((m) => !held.has(m.id));
  return { ...thread, messages: [...older, ...thread.messages].sort(bySeq), hasMore: page.hasMore };
}

/** A message from the node: added in `seq` order, or replacing the held copy; its pending row goes. */
export function withMessage(thread: Thread, message: ChatMessage): Thread {
  const pending =
    message.clientId === undefined
      ? thread.pending
      : thread.pending.filter((p) => p.clientId !== message.clientId);
  const at = thread.messages.findIndex((m) => m.id === message.id);
  let messages: ChatMessage[];
  if (at !== -1) {
    const held = thread.messages[at];
    const status = held ? advanceStatus(held.status, message.status) : message.status;
    messages = thread.messages.with(at, { ...message, status });
  } else {
    const last = thread.messages.at(-1);
    messages = [...thread.messages, message];
    if (last && last.seq > message.seq) messages.sort(bySeq);
  }
  return { ...thread, messages, pending };
}

/** A receipt: the named messages move on to `status` (never back). */
export function withReceipt(thread: Thread, ids: readonly string[], status: ChatStatus): Thread {
  const wanted = new Set(ids);
  let changed = false;
  const messages = thread.messages.map((m) => {
    if (!wanted.has(m.id)) return m;
    const next = advanceStatus(m.status, status);
    if (next === m.status) return m;
    changed = true;
    return { ...m, status: next };
  });
  return changed ? { ...thread, messages } : thread;
}

export function withPending(thread: Thread, pending: PendingMessage): Thread {
  return { ...thread, pending: [...thread.pending, pending] };
}

export function withoutPending(thread: Thread, clientId: string): Thread {
  return { ...thread, pending: thread.pending.filter((p) => p.clientId !== clientId) };
}

/** Every pending row marked stale, after the link to the node dropped. */
export function withStalePending(thread: Thread): Thread {
  if (thread.pending.every((p) => p.stale)) return thread;
  return { ...thread, pending: thread.pending.map((p) => ({ ...p, stale: true })) };
}

/** The newest incoming message, whose id a `read` names. */
export function newestIncoming(thread: Thread): ChatMessage | undefined {
  return thread.messages.findLast((m) => m.direction === "in");
}

/** What the list shows: stored messages, then pending ones. */
export function shownMessages(thread: Thread): ShownMessage[] {
  const stored = thread.messages.map(
    (m): ShownMessage => ({
      key: m.id,
      id: m.id,
      text: m.text,
      ts: m.ts,
      direction: m.direction,
      status: m.status,
      pending: false,
      stale: false,
    }),
  );
  const pending = thread.pending.map(
    (p): ShownMessage => ({
      key: `pending:${p.clientId}`,
      id: p.clientId,
      text: p.text,
      ts: p.ts,
      direction: "out",
      status: "sending",
      pending: true,
      stale: p.stale,
    }),
  );
  return [...stored, ...pending];
}
