import { describe, expect, test } from "bun:test";
import {
  emptyThread,
  newestIncoming,
  shownMessages,
  type Thread,
  withHistory,
  withMessage,
  withOlder,
  withPending,
  withReceipt,
  withStalePending,
} from "../../../plugins/chat/thread-model.ts";
import type { ChatMessage } from "../../../protocol/chat.ts";

const PEER = "aaaaaaaaaaaaaaaa";
const hex = (n: number) => n.toString(16).padStart(32, "0");

function msg(seq: number, direction: "in" | "out" = "in", extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: hex(seq),
    seq,
    nodeId: PEER,
    from: direction === "in" ? PEER : "bbbbbbbbbbbbbbbb",
    text: `m${seq}`,
    ts: 1_700_000_000_000 + seq,
    direction,
    status: direction === "in" ? "delivered" : "sent",
    ...extra,
  };
}
const seqs = (t: Thread) => t.messages.map((m) => m.seq);

describe("a conversation's history", () => {
  test("the first page is taken as is", () => {
    const t = withHistory(emptyThread, { messages: [msg(3), msg(4)], hasMore: true, unread: 0 });
    expect(seqs(t)).toEqual([3, 4]);
    expect(t).toMatchObject({ hasMore: true, loaded: true, unreadFrom: null });
  });

  test("a later page that overlaps keeps the older messages loaded by scrolling up", () => {
    let t = withHistory(emptyThread, { messages: [msg(5), msg(6)], hasMore: true, unread: 0 });
    t = withOlder(t, { messages: [msg(3), msg(4)], hasMore: false });
    t = withHistory(t, { messages: [msg(6), msg(7)], hasMore: true, unread: 1 });
    expect(seqs(t)).toEqual([3, 4, 5, 6, 7]);
    // What is before message 3 is what the older page said: nothing.
    expect(t.hasMore).toBe(false);
  });

  test("a later page with a gap before it replaces what was held", () => {
    let t = withHistory(emptyThread, { messages: [msg(1), msg(2)], hasMore: false, unread: 0 });
    t = withHistory(t, { messages: [msg(80), msg(81)], hasMore: true, unread: 0 });
    expect(seqs(t)).toEqual([80, 81]);
    expect(t.hasMore).toBe(true);
  });

  test("the unread divider goes on the oldest unread incoming message", () => {
    const t = withHistory(emptyThread, {
      messages: [msg(1), msg(2, "out"), msg(3), msg(4), msg(5, "out")],
      hasMore: false,
      unread: 2,
    });
    expect(t.unreadFrom).toBe(hex(3));
  });

  test("older pages go in front without duplicates", () => {
    let t = withHistory(emptyThread, { messages: [msg(5), msg(6)], hasMore: true, unread: 0 });
    t = withOlder(t, { messages: [msg(4), msg(5)], hasMore: true });
    expect(seqs(t)).toEqual([4, 5, 6]);
  });
});

describe("live messages and receipts", () => {
  test("the node's echo replaces this tab's pending message", () => {
    let t = withPending(emptyThread, { clientId: "c1", text: "hi", ts: 1, stale: false });
    expect(shownMessages(t).map((m) => [m.key, m.status])).toEqual([["pending:c1", "sending"]]);
    t = withMessage(t, msg(1, "out", { clientId: "c1", status: "queued" }));
    expect(t.pending).toEqual([]);
    expect(shownMessages(t).map((m) => [m.id, m.status])).toEqual([[hex(1), "queued"]]);
  });

  test("a message seen twice is kept once, and its status does not go back", () => {
    let t = withMessage(emptyThread, msg(1, "out", { status: "delivered" }));
    t = withMessage(t, msg(1, "out", { status: "sent" }));
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]?.status).toBe("delivered");
  });

  test("a message out of order goes in its place by seq", () => {
    let t = withMessage(emptyThread, msg(2));
    t = withMessage(t, msg(1));
    expect(seqs(t)).toEqual([1, 2]);
  });

  test("receipts move the named messages on, and nothing else", () => {
    let t = withMessage(withMessage(emptyThread, msg(1, "out")), msg(2, "out"));
    t = withReceipt(t, [hex(1)], "read");
    expect(t.messages.map((m) => m.status)).toEqual(["read", "sent"]);
    expect(withReceipt(t, [hex(1)], "delivered")).toBe(t);
  });

  test("pending messages turn stale when the link drops, and the echo still settles them", () => {
    let t = withStalePending(withPending(emptyThread, { clientId: "c1", text: "hi", ts: 1, stale: false }));
    expect(shownMessages(t)[0]?.stale).toBe(true);
    t = withHistory(t, { messages: [msg(1, "out", { clientId: "c1" })], hasMore: false, unread: 0 });
    expect(t.pending).toEqual([]);
  });

  test("the newest incoming message is what a read names", () => {
    const t = withHistory(emptyThread, {
      messages: [msg(1), msg(2), msg(3, "out")],
      hasMore: false,
      unread: 0,
    });
    expect(newestIncoming(t)?.id).toBe(hex(2));
    expect(newestIncoming(emptyThread)).toBeUndefined();
  });
});
