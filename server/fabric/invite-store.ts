import { createHash, randomBytes } from "node:crypto";
import { eq, lt, sql } from "drizzle-orm";
import type { WeftDb } from "../db/database.ts";
import { invites } from "../db/schema.ts";

export const DEFAULT_INVITE_TTL_S = 24 * 3600;

export type RedeemOutcome = "ok" | "unknown" | "expired" | "used";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** A short public name for an invite, so the UI can match "used" news to the card that minted it. */
export const inviteId = (token: string) => hash(token).slice(0, 12);

/**
 * Invite tokens: 128 random bits, stored only as sha256 so a copy of the database cannot pair.
 * Single-use, except that the node that redeemed one may redeem it again (re-pairing).
 */
export class InviteStore {
  readonly #db: WeftDb;
  /** Built once, since drizzle would rebuild the SQL on each call of a pairing. */
  readonly #q;

  constructor(db: WeftDb) {
    this.#db = db;
    const tokenHash = sql.placeholder("tokenHash");
    this.#q = {
      prune: db
        .delete(invites)
        .where(lt(invites.expiresAt, sql.placeholder("before")))
        .prepare(),
      insert: db
        .insert(invites)
        .values({ tokenHash, createdAt: sql.placeholder("now"), expiresAt: sql.placeholder("expires") })
        .prepare(),
      get: db.select().from(invites).where(eq(invites.tokenHash, tokenHash)).prepare(),
      redeem: db
        .update(invites)
        .set({ redeemedBy: sql`${sql.placeholder("nodeId")}`, redeemedAt: sql`${sql.placeholder("now")}` })
        .where(eq(invites.tokenHash, tokenHash))
        .prepare(),
    };
  }

  mint(ttlS = DEFAULT_INVITE_TTL_S, now = Date.now()): { token: string; expires: number; id: string } {
    // Expired invites are useless; pruning here keeps the table small without a timer.
    this.#q.prune.run({ before: now - 24 * 3600_000 });
    const token = randomBytes(16).toString("base64url");
    const expires = now + ttlS * 1000;
    this.#q.insert.run({ tokenHash: hash(token), now, expires });
    return { token, expires, id: inviteId(token) };
  }

  /** Redeems atomically: two nodes racing for one token cannot both win. */
  redeem(token: string, nodeId: string, now = Date.now()): RedeemOutcome {
    const tokenHash = hash(token);
    // The prepared statements run on the same connection, so they are inside the transaction.
    return this.#db.transaction(() => {
      const row = this.#q.get.get({ tokenHash });
      if (!row) return "unknown";
      if (row.expiresAt < now) return "expired";
      if (row.redeemedBy !== null && row.redeemedBy !== nodeId) return "used";
      this.#q.redeem.run({ tokenHash, nodeId, now });
      return "ok";
    });
  }
}
