import { and, asc, count, desc, eq, inArray, lt, lte, sql } from "drizzle-orm";
import type { ChatMessage, ChatStatus } from "../../protocol/chat.ts";
import type { WeftDb } from "../db/database.ts";
import { chatMessages } from "../db/schema.ts";

type Row = typeof chatMessages.$inferSelect;

/** How far each status is along; a receipt never moves a message backwards. */
const RANK: Record<ChatStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** Conversations in SQLite. Every write is its own committed statement, so a crash keeps it. */
export class MessageStore {
  readonly #db: WeftDb;
  readonly #selfId: string;

  constructor(db: WeftDb, selfId: string) {
    this.#db = db;
    this.#selfId = selfId;
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
    const now = Date.now();
    return this.#db
      .insert(chatMessages)
      .values({ id, peerId, direction: "out", text, ts: now, status: "queued", clientId, createdAt: now })
      .returning()
      .get();
  }

  /** Stores an incoming message once; undefined when it was stored before (a redelivery). */
  addIncoming(
    peerId: string,
    id: string,
    text: string,
    ts: number,
    status: "delivered" | "read",
  ): Row | undefined {
    return this.#db
      .insert(chatMessages)
      .values({ id, peerId, direction: "in", text, ts, status, createdAt: Date.now() })
      .onConflictDoNothing()
      .returning()
      .get();
  }

  incoming(peerId: string, id: string): Row | undefined {
    return this.#db
      .select()
      .from(chatMessages)
      .where(and(eq(chatMessages.peerId, peerId), eq(chatMessages.direction, "in"), eq(chatMessages.id, id)))
      .get();
  }

  /** Outgoing messages not yet acknowledged, oldest first: what (re)delivery sends. */
  undelivered(peerId: string, statuses: ChatStatus[] = ["queued", "sent"]): Row[] {
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
    return this.#db
      .update(chatMessages)
      .set({ status: "read" })
      .where(
        and(
          eq(chatMessages.peerId, peerId),
          eq(chatMessages.direction, "in"),
          eq(chatMessages.status, "delivered"),
          lte(chatMessages.seq, upToSeq),
        ),
      )
      .returning({ id: chatMessages.id })
      .all()
      .map((r) => r.id);
  }

  /** Incoming messages read here whose read receipt the peer has not had yet. */
  pendingReadReceipts(peerId: string): string[] {
    return this.#db
      .select({ id: chatMessages.id })
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.peerId, peerId),
          eq(chatMessages.direction, "in"),
          eq(chatMessages.status, "read"),
          eq(chatMessages.readReceiptSent, false),
        ),
      )
      .orderBy(asc(chatMessages.seq))
      .all()
      .map((r) => r.id);
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
    const rows = this.#db
      .select()
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.peerId, peerId),
          beforeSeq === undefined ? undefined : lt(chatMessages.seq, beforeSeq),
        ),
      )
      .orderBy(desc(chatMessages.seq))
      .limit(limit + 1)
      .all();
    return { rows: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
  }

  unreadCounts(): Record<string, number> {
    const rows = this.#db
      .select({ peerId: chatMessages.peerId, n: count() })
      .from(chatMessages)
      // Literal constants, not bound parameters: only then can SQLite use the partial index of
      // unread rows instead of scanning the whole history on every arrival.
      .where(sql`${chatMessages.direction} = 'in' AND ${chatMessages.status} = 'delivered'`)
      .groupBy(chatMessages.peerId)
      .all();
    return Object.fromEntries(rows.map((r) => [r.peerId, r.n]));
  }
}
