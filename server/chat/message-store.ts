import { and, asc, count, desc, eq, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { ChatMessage, ChatStatus } from "../../protocol/chat.ts";
import type { WeftDb } from "../db/database.ts";
import { chatMessages } from "../db/schema.ts";

type Row = typeof chatMessages.$inferSelect;

/** How far each status is along; a receipt never moves a message backwards. */
const RANK: Record<ChatStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

const peerIdParam = sql.placeholder("peerId");
/** A placeholder where drizzle's `set()` and comparison types accept only SQL or values. */
const param = (name: string) => sql`${sql.placeholder(name)}`;

/**
 * The statements each message, receipt and page runs, built once: drizzle rebuilds the SQL on
 * every call otherwise, which profiles put at a fifth of a message's time.
 */
function prepare(db: WeftDb) {
  const inbound = (...more: SQL[]) =>
    and(eq(chatMessages.peerId, peerIdParam), eq(chatMessages.direction, "in"), ...more);
  return {
    addOutgoing: db
      .insert(chatMessages)
      .values({
        id: sql.placeholder("id"),
        peerId: peerIdParam,
        direction: "out",
        text: sql.placeholder("text"),
        ts: sql.placeholder("now"),
        status: "queued",
        clientId: sql.placeholder("clientId"),
        createdAt: sql.placeholder("now"),
      })
      .returning()
      .prepare(),
    addIncoming: db
      .insert(chatMessages)
      .values({
        id: sql.placeholder("id"),
        peerId: peerIdParam,
        direction: "in",
        text: sql.placeholder("text"),
        ts: sql.placeholder("ts"),
        status: sql.placeholder("status"),
        createdAt: sql.placeholder("now"),
      })
      .onConflictDoNothing()
      .returning()
      .prepare(),
    incoming: db
      .select()
      .from(chatMessages)
      .where(inbound(eq(chatMessages.id, param("id"))))
      .prepare(),
    undelivered: db
      .select()
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.peerId, peerIdParam),
          eq(chatMessages.direction, "out"),
          inArray(chatMessages.status, ["queued", "sent"]),
        ),
      )
      .orderBy(asc(chatMessages.seq))
      .prepare(),
    markRead: db
      .update(chatMessages)
      .set({ status: "read" })
      .where(inbound(eq(chatMessages.status, "delivered"), lte(chatMessages.seq, param("upToSeq"))))
      .returning({ id: chatMessages.id })
      .prepare(),
    pendingReadReceipts: db
      .select({ id: chatMessages.id })
      .from(chatMessages)
      .where(inbound(eq(chatMessages.status, "read"), eq(chatMessages.readReceiptSent, false)))
      .orderBy(asc(chatMessages.seq))
      .prepare(),
    newest: db
      .select()
      .from(chatMessages)
      .where(eq(chatMessages.peerId, peerIdParam))
      .orderBy(desc(chatMessages.seq))
      .limit(sql.placeholder("limit"))
      .prepare(),
    before: db
      .select()
      .from(chatMessages)
      .where(and(eq(chatMessages.peerId, peerIdParam), lt(chatMessages.seq, param("beforeSeq"))))
      .orderBy(desc(chatMessages.seq))
      .limit(sql.placeholder("limit"))
      .prepare(),
    unreadCounts: db
      .select({ peerId: chatMessages.peerId, n: count() })
      .from(chatMessages)
      // Literal constants, not bound parameters: only then can SQLite use the partial index of
      // unread rows instead of scanning the whole history on every arrival.
      .where(sql`${chatMessages.direction} = 'in' AND ${chatMessages.status} = 'delivered'`)
      .groupBy(chatMessages.peerId)
      .prepare(),
  };
}

/** Conversations in SQLite. Every write is its own committed statement, so a crash keeps it. */
export class MessageStore {
  readonly #db: WeftDb;
  readonly #selfId: string;
  readonly #q: ReturnType<typeof prepare>;

  constructor(db: WeftDb, selfId: string) {
    this.#db = db;
    this.#selfId = selfId;
    this.#q = prepare(db);
  }

  toMessage(row: Row): ChatMessage {
    return {
      id: row.id,
      seq: row.seq,
      nodeId: row.peerId,
      from: row.direction === "out" ? this.#selfId : row.peerId,
      text: row.text,
      ts: row.ts,
      direction: row.direction,
      status: row.status,
      ...(row.clientId ? { clientId: row.clientId } : {}),
    };
  }

  addOutgoing(peerId: string, id: string, text: string, clientId: string): Row {
    const row = this.#q.addOutgoing.get({ id, peerId, text, now: Date.now(), clientId });
    if (!row) throw new Error(`message ${id} was not stored`);
    return row;
  }

  /** Stores an incoming message once; undefined when it was stored before (a redelivery). */
  addIncoming(
    peerId: string,
    id: string,
    text: string,
    ts: number,
    status: "delivered" | "read",
  ): Row | undefined {
    return this.#q.addIncoming.get({ id, peerId, text, ts, status, now: Date.now() });
  }

  incoming(peerId: string, id: string): Row | undefined {
    return this.#q.incoming.get({ peerId, id });
  }

  /** Outgoing messages not yet acknowledged, oldest first: what (re)delivery sends. */
  undelivered(peerId: string, statuses?: ChatStatus[]): Row[] {
    if (statuses === undefined) return this.#q.undelivered.all({ peerId });
    return this.#db
      .select()
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.peerId, peerId),
          eq(chatMessages.direction, "out"),
          inArray(chatMessages.status, statuses),
        ),
      )
      .orderBy(asc(chatMessages.seq))
      .all();
  }

  /** Moves outgoing messages forward to `status`; returns the ids that actually changed. */
  advance(peerId: string, ids: string[], status: ChatStatus): string[] {
    if (ids.length === 0) return [];
    const rows = this.#db
      .select({ id: chatMessages.id, status: chatMessages.status })
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.peerId, peerId),
          eq(chatMessages.direction, "out"),
          inArray(chatMessages.id, ids),
        ),
      )
      .all();
    const moving = rows
      .filter((r) => RANK[status] > RANK[r.status] && r.status !== "failed")
      .map((r) => r.id);
    if (moving.length === 0) return [];
    this.#db
      .update(chatMessages)
      .set({ status })
      .where(
        and(
          eq(chatMessages.peerId, peerId),
          eq(chatMessages.direction, "out"),
          inArray(chatMessages.id, moving),
        ),
      )
      .run();
    return moving;
  }

  /** Marks incoming messages up to `upToSeq` read; returns their ids. */
  markRead(peerId: string, upToSeq: number): string[] {
    return this.#q.markRead.all({ peerId, upToSeq }).map((r) => r.id);
  }

  /** Incoming messages read here whose read receipt the peer has not had yet. */
  pendingReadReceipts(peerId: string): string[] {
    return this.#q.pendingReadReceipts.all({ peerId }).map((r) => r.id);
  }

  receiptsSent(peerId: string, ids: string[]): void {
    if (ids.length === 0) return;
    this.#db
      .update(chatMessages)
      .set({ readReceiptSent: true })
      .where(
        and(eq(chatMessages.peerId, peerId), eq(chatMessages.direction, "in"), inArray(chatMessages.id, ids)),
      )
      .run();
  }

  /** A page of a conversation, oldest first: the `limit` messages before `beforeSeq` (or the newest). */
  page(peerId: string, limit: number, beforeSeq?: number): { rows: Row[]; hasMore: boolean } {
    const rows =
      beforeSeq === undefined
        ? this.#q.newest.all({ peerId, limit: limit + 1 })
        : this.#q.before.all({ peerId, beforeSeq, limit: limit + 1 });
    return { rows: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
  }

  unreadCounts(): Record<string, number> {
    const rows = this.#q.unreadCounts.all();
    return Object.fromEntries(rows.map((r) => [r.peerId, r.n]));
  }
}
