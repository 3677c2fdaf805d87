import { desc } from "drizzle-orm";
import type { AuditEntry } from "../../protocol/network.ts";
import type { WeftDb } from "../db/database.ts";
import { auditLog } from "../db/schema.ts";

/** Trust-changing and security events, as docs/architecture.md lists them. */
export type AuditEvent =
  | "pair"
  | "refuse"
  | "block"
  | "unblock"
  | "forget"
  | "key_mismatch"
  | "rate_limit_disconnect"
  | "bad_frames_disconnect";

export class AuditLog {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  record(event: AuditEvent, nodeId: string | null, detail: Record<string, unknown> = {}): void {
    this.#db
      .insert(auditLog)
      .values({ ts: Date.now(), event, nodeId, detailJson: JSON.stringify(detail) })
      .run();
  }

  recent(limit = 100): AuditEntry[] {
    return this.#db
      .select()
      .from(auditLog)
      .orderBy(desc(auditLog.id))
      .limit(limit)
      .all()
      .map((r) => ({
        id: r.id,
        ts: r.ts,
        event: r.event,
        node_id: r.nodeId,
        detail: JSON.parse(r.detailJson),
      }));
  }
}
