import { createHash, randomBytes } from "node:crypto";
import { and, eq, lt } from "drizzle-orm";
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

  constructor(db: WeftDb) {
    this.#db = db;
  }

  mint(ttlS = DEFAULT_INVITE_TTL_S, now = Date.now()): { token: string; expires: number; id: string } {
    // Expired invites are useless; pruning here keeps the table small without a timer.
    this.#db
      .delete(invites)
      .where(lt(invites.expiresAt, now - 24 * 3600_000))
      .run();
    const token = randomBytes(16).toString("base64url");
    const expires = now + ttlS * 1000;
    this.#db
      .insert(invites)
      .values({ tokenHash: hash(token), createdAt: now, expiresAt: expires })
      .run();
    return { token, expires, id: inviteId(token) };
  }

  /** Redeems atomically: two nodes racing for one token cannot both win. */
  redeem(token: string, nodeId: string, now = Date.now()): RedeemOutcome {
    const tokenHash = hash(token);
    return this.#db.transaction((tx) => {
      const row = tx.select().from(invites).where(eq(invites.tokenHash, tokenHash)).get();
      if (!row) return "unknown";
      if (row.expiresAt < now) return "expired";
      if (row.redeemedBy !== null && row.redeemedBy !== nodeId) return "used";
      tx.update(invites)
        .set({ redeemedBy: nodeId, redeemedAt: now })
        .where(and(eq(invites.tokenHash, tokenHash)))
        .run();
      return "ok";
    });
  }
}
