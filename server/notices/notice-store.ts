import { and, count, desc, eq, gte, inArray, notInArray } from "drizzle-orm";
import type { Notice, NoticeAction, NoticeKind, NoticePeer } from "../../protocol/notices.ts";
import { noticeAction } from "../../protocol/notices.ts";
import type { WeftDb } from "../db/database.ts";
import { notices } from "../db/schema.ts";

type Row = typeof notices.$inferSelect;

/** The inbox keeps this many notices; older ones go when a new one arrives. */
export const MAX_NOTICES = 500;

/** A repeat of a coalesced notice within this long of the last one updates it instead of adding. */
export const COALESCE_WINDOW_MS = 3600_000;

/** What a notice is made of before it has an id. */
export interface NoticeInput {
  kind: NoticeKind;
  peer?: NoticePeer | null;
  text: string;
  action?: NoticeAction;
  /** Notices with the same key within an hour become one, with a count. */
  coalesceKey?: string;
}

/** The inbox in SQLite. Every write is its own committed statement, so a crash keeps it. */
export class NoticeStore {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  /** Adds a notice, or folds it into the recent one with the same coalesce key; returns it. */
  add(input: NoticeInput, now = Date.now()): Notice {
    const row = this.#db.transaction((tx) => {
      const key = input.coalesceKey;
      const recent =
        key === undefined
          ? undefined
          : tx
              .select()
              .from(notices)
              .where(and(eq(notices.coalesceKey, key), gte(notices.ts, now - COALESCE_WINDOW_MS)))
              .orderBy(desc(notices.ts))
              .get();
      const fields = {
        ts: now,
        kind: input.kind,
        peerNodeId: input.peer?.node_id ?? null,
        peerNodeName: input.peer?.node_name ?? null,
        text: input.text,
        actionJson: input.action ? JSON.stringify(input.action) : null,
        read: false,
      };
      if (recent) {
        return tx
          .update(notices)
          .set({ ...fields, count: recent.count + 1 })
          .where(eq(notices.id, recent.id))
          .returning()
          .get();
      }
      const added = tx
        .insert(notices)
        .values({ ...fields, coalesceKey: key ?? null })
        .returning()
        .get();
      const keep = tx
        .select({ id: notices.id })
        .from(notices)
        .orderBy(desc(notices.ts), desc(notices.id))
        .limit(MAX_NOTICES);
      tx.delete(notices).where(notInArray(notices.id, keep)).run();
      return added;
    });
    return toNotice(row);
  }

  /** The newest `limit` notices, newest first. */
  list(limit = MAX_NOTICES): Notice[] {
    return this.#db
      .select()
      .from(notices)
      .orderBy(desc(notices.ts), desc(notices.id))
      .limit(limit)
      .all()
      .map(toNotice);
  }

  unread(): number {
    return this.#db.select({ n: count() }).from(notices).where(eq(notices.read, false)).get()?.n ?? 0;
  }

  /** Marks the given notices read, or all of them; returns how many changed. */
  markRead(ids?: number[]): number {
    const unread = eq(notices.read, false);
    const where = ids === undefined ? unread : and(unread, inArray(notices.id, ids));
    return this.#db.update(notices).set({ read: true }).where(where).returning({ id: notices.id }).all()
      .length;
  }

  /** Deletes one notice; false when there was none with that id. */
  dismiss(id: number): boolean {
    return this.#db.delete(notices).where(eq(notices.id, id)).returning({ id: notices.id }).all().length > 0;
  }
}

function toNotice(row: Row): Notice {
  const action = row.actionJson === null ? undefined : noticeAction.safeParse(JSON.parse(row.actionJson));
  return {
    id: row.id,
    ts: row.ts,
    kind: row.kind as NoticeKind,
    peer: row.peerNodeId === null ? null : { node_id: row.peerNodeId, node_name: row.peerNodeName ?? "" },
    text: row.count > 1 ? `${row.text} (${row.count} times)` : row.text,
    ...(action?.success ? { action: action.data } : {}),
    read: row.read,
  };
}
