import { eq, sql } from "drizzle-orm";
import type { PathPolicy } from "../../protocol/network.ts";
import type { PeerPath } from "../../protocol/peer.ts";
import type { WeftDb } from "../db/database.ts";
import { peers } from "../db/schema.ts";
import { PeerPathStore } from "./peer-path-store.ts";

export type PeerRecord = typeof peers.$inferSelect;
export type { PathPolicy };
export type PeerVia = "invite" | "open-lan" | "directory" | "room" | "dialed";

const nodeIdParam = sql.placeholder("nodeId");
/** A placeholder where drizzle's `set()` types accept only SQL. */
const param = (name: string) => sql`${sql.placeholder(name)}`;

/**
 * The statements every handshake and every feature frame's trust check run, built once: drizzle
 * rebuilds the SQL on each call otherwise, which profiles put at a fifth of a dial's time.
 */
function prepare(db: WeftDb) {
  return {
    get: db.select().from(peers).where(eq(peers.nodeId, nodeIdParam)).prepare(),
    list: db.select().from(peers).prepare(),
    retrust: db
      .update(peers)
      .set({ trusted: true, nodeName: param("nodeName"), lastSeen: param("now") })
      .where(eq(peers.nodeId, nodeIdParam))
      .prepare(),
    insert: db
      .insert(peers)
      .values({
        nodeId: nodeIdParam,
        publicKey: sql.placeholder("publicKey"),
        nodeName: sql.placeholder("nodeName"),
        via: sql.placeholder("via"),
        trusted: true,
        blocked: false,
        lastSeen: sql.placeholder("now"),
        createdAt: sql.placeholder("now"),
      })
      .prepare(),
    rename: db
      .update(peers)
      .set({ nodeName: param("nodeName") })
      .where(eq(peers.nodeId, nodeIdParam))
      .prepare(),
    lastSeen: db
      .update(peers)
      .set({ lastSeen: param("lastSeen") })
      .where(eq(peers.nodeId, nodeIdParam))
      .prepare(),
  };
}

/**
 * Paired, refused-by-block and known peers, with the pinned public key that anchors trust.
 *
 * Rows read are kept in memory: every chat and collab frame asks whether its sender is still
 * trusted, and a SQLite read per frame was a third of the receiving side's time. This class is the
 * only writer of the table, and each write drops the row it changed, so the copy is never stale;
 * it holds only rows that exist, so ids that were never stored cannot grow it.
 */
export class PeerStore {
  /** How to reach each peer; rows go with their peer when it is forgotten. */
  readonly paths: PeerPathStore;
  readonly #db: WeftDb;
  readonly #q: ReturnType<typeof prepare>;
  readonly #rows = new Map<string, Readonly<PeerRecord>>();

  constructor(db: WeftDb) {
    this.#db = db;
    this.#q = prepare(db);
    this.paths = new PeerPathStore(db);
  }

  get(nodeId: string): PeerRecord | undefined {
    const kept = this.#rows.get(nodeId);
    if (kept) return { ...kept };
    const row = this.#q.get.get({ nodeId });
    if (row) this.#rows.set(nodeId, Object.freeze({ ...row }));
    return row;
  }

  /** Paired and not blocked. Asked for every feature frame, so read from the kept row, uncopied. */
  isTrusted(nodeId: string): boolean {
    if (!this.#rows.has(nodeId)) this.get(nodeId);
    const kept = this.#rows.get(nodeId);
    return kept?.trusted === true && !kept.blocked;
  }

  list(): PeerRecord[] {
    return this.#q.list.all();
  }

  /**
   * Records a peer as trusted with its pinned key (first pairing, or re-pairing after forget);
   * `path` is the one the link came over when this node dialed it.
   */
  trust(p: {
    nodeId: string;
    publicKey: string;
    nodeName: string;
    via: PeerVia;
    path?: PeerPath;
  }): PeerRecord {
    const now = Date.now();
    const existing = this.get(p.nodeId);
    this.#rows.delete(p.nodeId);
    if (existing) this.#q.retrust.run({ nodeId: p.nodeId, nodeName: p.nodeName, now });
    else {
      this.#q.insert.run({ nodeId: p.nodeId, publicKey: p.publicKey, nodeName: p.nodeName, via: p.via, now });
    }
    if (p.path) this.paths.worked(p.nodeId, p.path);
    return this.get(p.nodeId)!;
  }

  /** Updates what we last saw of a peer; never touches trust or the pinned key. */
  touch(nodeId: string, fields: { nodeName?: string; lastSeen?: number }): void {
    const { nodeName, lastSeen } = fields;
    this.#rows.delete(nodeId);
    // The common cases, every link that opens (presence) and closes, have statements of their own.
    if (nodeName === undefined) {
      if (lastSeen !== undefined) this.#q.lastSeen.run({ nodeId, lastSeen });
      return;
    }
    if (lastSeen === undefined) {
      this.#q.rename.run({ nodeId, nodeName });
      return;
    }
    this.#db.update(peers).set({ nodeName, lastSeen }).where(eq(peers.nodeId, nodeId)).run();
  }

  setBlocked(nodeId: string, blocked: boolean): boolean {
    this.#rows.delete(nodeId);
    return (
      this.#db.update(peers).set({ blocked }).where(eq(peers.nodeId, nodeId)).returning().all().length > 0
    );
  }

  /** Which paths the person allows for this peer; false for a peer this node does not know. */
  setPathPolicy(nodeId: string, pathPolicy: PathPolicy): boolean {
    this.#rows.delete(nodeId);
    return (
      this.#db.update(peers).set({ pathPolicy }).where(eq(peers.nodeId, nodeId)).returning().all().length > 0
    );
  }

  /** How this node answers the peer's agent questions; false for a peer this node does not know. */
  setAgentPolicy(nodeId: string, agentPolicy: "ask" | "always" | "never"): boolean {
    this.#rows.delete(nodeId);
    return (
      this.#db.update(peers).set({ agentPolicy }).where(eq(peers.nodeId, nodeId)).returning().all().length > 0
    );
  }

  forget(nodeId: string): boolean {
    this.#rows.delete(nodeId);
    this.paths.forgotten(nodeId);
    return this.#db.delete(peers).where(eq(peers.nodeId, nodeId)).returning().all().length > 0;
  }
}
