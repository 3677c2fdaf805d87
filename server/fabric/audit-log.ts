import { and, asc, count, desc, eq, gte, inArray, isNull, notInArray, type SQL, sql } from "drizzle-orm";
import type { AuditEntry, AuditKind } from "../../protocol/network.ts";
import type { WeftDb } from "../db/database.ts";
import { auditLog } from "../db/schema.ts";

/** Changes to whom this node trusts. */
export const TRUST_EVENTS = [
  "pair",
  "block",
  "unblock",
  "forget",
  "key_mismatch",
  "path_policy",
  "agent_policy",
] as const;
/** Dials and links this node turned away. */
export const REFUSAL_EVENTS = ["refuse", "rate_limit_disconnect", "bad_frames_disconnect"] as const;

/**
 * What a person allowed a third-party pane, and turning one off or on (docs/architecture.md,
 * "Plugins in a sandbox"). Listed with the trust changes (`kind: trust`), never folded.
 */
export const PLUGIN_EVENTS = ["plugin_grants", "plugin_enabled"] as const;

/** Trust-changing and security events, as docs/architecture.md lists them. */
export type AuditEvent =
  | (typeof TRUST_EVENTS)[number]
  | (typeof REFUSAL_EVENTS)[number]
  | (typeof PLUGIN_EVENTS)[number];

/**
 * Events anyone who can reach the listener can cause as often as they like, so repeats are folded.
 * A key mismatch is a trust event but an impostor can repeat it; the user's own changes never fold,
 * so block, unblock, block reads as three rows in order.
 */
const FOLDED: ReadonlySet<AuditEvent> = new Set<AuditEvent>([...REFUSAL_EVENTS, "key_mismatch"]);
const REFUSALS: ReadonlySet<string> = new Set(REFUSAL_EVENTS);

/** Repeats within this long of a row's first event count on that row. */
export const AUDIT_FOLD_WINDOW_MS = 10 * 60_000;
/** Rows kept at most; the oldest refusals go first, trust changes only when nothing else is left. */
export const AUDIT_MAX_ROWS = 10_000;

/** Tuning for tests; a node uses the defaults. */
export interface AuditLogOptions {
  maxRows?: number;
  foldWindowMs?: number;
  now?: () => number;
}

export const auditKindOf = (event: string): AuditKind => (REFUSALS.has(event) ? "refusal" : "trust");

/** What makes two events of one kind about one node the same: where from, and why. */
function foldKeyOf(detail: Record<string, unknown>): string {
  const address = typeof detail.address === "string" ? detail.address : "";
  const reason = typeof detail.reason === "string" ? detail.reason : "";
  return `${address}|${reason}`;
}

type AuditRow = typeof auditLog.$inferSelect;
const newestFirst = (a: AuditRow, b: AuditRow) => b.lastTs - a.lastTs || b.id - a.id;

/**
 * The audit table, bounded: an attacker repeating a refused dial adds one row per source and
 * interval however often it dials, and however many rows it causes, the table stays within
 * `maxRows` and trust changes outlast refusals.
 */
export class AuditLog {
  readonly #db: WeftDb;
  readonly #maxRows: number;
  readonly #foldWindowMs: number;
  readonly #now: () => number;
  #rows: number;

  constructor(db: WeftDb, options: AuditLogOptions = {}) {
    this.#db = db;
    this.#maxRows = options.maxRows ?? AUDIT_MAX_ROWS;
    this.#foldWindowMs = options.foldWindowMs ?? AUDIT_FOLD_WINDOW_MS;
    this.#now = options.now ?? Date.now;
    this.#rows = this.#count();
    this.#trim();
  }

  record(event: AuditEvent, nodeId: string | null, detail: Record<string, unknown> = {}): void {
    const now = this.#now();
    const detailJson = JSON.stringify(detail);
    const foldKey = FOLDED.has(event) ? foldKeyOf(detail) : null;
    if (foldKey !== null) {
      const folded = this.#db
        .update(auditLog)
        .set({ count: sql`${auditLog.count} + 1`, lastTs: now, detailJson })
        .where(
          and(
            eq(auditLog.event, event),
            nodeId === null ? isNull(auditLog.nodeId) : eq(auditLog.nodeId, nodeId),
            eq(auditLog.foldKey, foldKey),
            gte(auditLog.ts, now - this.#foldWindowMs),
          ),
        )
        .returning({ id: auditLog.id })
        .all();
      if (folded.length > 0) return;
    }
    this.#db.insert(auditLog).values({ ts: now, lastTs: now, event, nodeId, detailJson, foldKey }).run();
    this.#rows += 1;
    this.#trim();
  }

  /**
   * The newest entries of one kind, or of both: then refusals fill at most half of the page while
   * there are trust changes to show, so no flood of refusals pushes a pairing or a block off it.
   */
  recent(limit = 100, kind: AuditKind | "all" = "all"): AuditEntry[] {
    if (kind !== "all") return this.#newest(limit, kind).map(toEntry);
    const trust = this.#newest(limit, "trust");
    const refusals = this.#newest(limit, "refusal");
    const refusalRoom = limit - Math.min(trust.length, Math.floor(limit / 2));
    const page: AuditRow[] = [];
    let refused = 0;
    for (const row of [...trust, ...refusals].sort(newestFirst)) {
      if (page.length === limit) break;
      if (auditKindOf(row.event) === "refusal") {
        if (refused === refusalRoom) continue;
        refused += 1;
      }
      page.push(row);
    }
    return page.map(toEntry);
  }

  #newest(limit: number, kind: AuditKind): AuditRow[] {
    return this.#db
      .select()
      .from(auditLog)
      .where(this.#ofKind(kind))
      .orderBy(desc(auditLog.lastTs), desc(auditLog.id))
      .limit(limit)
      .all();
  }

  #ofKind(kind: AuditKind): SQL {
    const refusals = [...REFUSAL_EVENTS];
    return kind === "refusal" ? inArray(auditLog.event, refusals) : notInArray(auditLog.event, refusals);
  }

  #count(): number {
    return this.#db.select({ n: count() }).from(auditLog).get()?.n ?? 0;
  }

  #trim(): void {
    const excess = this.#rows - this.#maxRows;
    if (excess <= 0) return;
    this.#rows -= this.#deleteOldest(excess, this.#ofKind("refusal"));
    if (this.#rows > this.#maxRows) this.#rows -= this.#deleteOldest(this.#rows - this.#maxRows);
  }

  #deleteOldest(n: number, where?: SQL): number {
    const oldest = this.#db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(where)
      .orderBy(asc(auditLog.lastTs), asc(auditLog.id))
      .limit(n);
    return this.#db.delete(auditLog).where(inArray(auditLog.id, oldest)).returning({ id: auditLog.id }).all()
      .length;
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    ts: r.ts,
    last_ts: r.lastTs,
    count: r.count,
    kind: auditKindOf(r.event),
    event: r.event,
    node_id: r.nodeId,
    detail: JSON.parse(r.detailJson) as Record<string, unknown>,
  };
}
