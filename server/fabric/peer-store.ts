import { eq } from "drizzle-orm";
import type { WeftDb } from "../db/database.ts";
import { peers } from "../db/schema.ts";

export type PeerRecord = typeof peers.$inferSelect;
export type PeerVia = "invite" | "open-lan" | "directory" | "dialed";

/** Paired, refused-by-block and known peers, with the pinned public key that anchors trust. */
export class PeerStore {
  readonly #db: WeftDb;

  constructor(db: WeftDb) {
    this.#db = db;
  }

  get(nodeId: string): PeerRecord | undefined {
    return this.#db.select().from(peers).where(eq(peers.nodeId, nodeId)).get();
  }

  list(): PeerRecord[] {
    return this.#db.select().from(peers).all();
  }

  /** Records a peer as trusted with its pinned key (first pairing, or re-pairing after forget). */
  trust(p: {
    nodeId: string;
    publicKey: string;
    nodeName: string;
    via: PeerVia;
    address?: string | null;
  }): PeerRecord {
    const now = Date.now();
    const existing = this.get(p.nodeId);
    if (existing) {
      this.#db
        .update(peers)
        .set({
          trusted: true,
          nodeName: p.nodeName,
          lastSeen: now,
          ...(p.address ? { lastAddress: p.address } : {}),
        })
        .where(eq(peers.nodeId, p.nodeId))
        .run();
    } else {
      this.#db
        .insert(peers)
        .values({
          nodeId: p.nodeId,
          publicKey: p.publicKey,
          nodeName: p.nodeName,
          via: p.via,
          trusted: true,
          blocked: false,
          lastAddress: p.address ?? null,
          lastSeen: now,
          createdAt: now,
        })
        .run();
    }
    return this.get(p.nodeId)!;
  }

  /** Updates what we last saw of a peer; never touches trust or the pinned key. */
  touch(nodeId: string, fields: { nodeName?: string; address?: string; lastSeen?: number }): void {
    const set: Partial<PeerRecord> = {};
    if (fields.nodeName !== undefined) set.nodeName = fields.nodeName;
    if (fields.address !== undefined) set.lastAddress = fields.address;
    if (fields.lastSeen !== undefined) set.lastSeen = fields.lastSeen;
    if (Object.keys(set).length > 0) this.#db.update(peers).set(set).where(eq(peers.nodeId, nodeId)).run();
  }

  setBlocked(nodeId: string, blocked: boolean): boolean {
    return (
      this.#db.update(peers).set({ blocked }).where(eq(peers.nodeId, nodeId)).returning().all().length > 0
    );
  }

  forget(nodeId: string): boolean {
    return this.#db.delete(peers).where(eq(peers.nodeId, nodeId)).returning().all().length > 0;
  }
}
