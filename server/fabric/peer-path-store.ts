import { and, desc, eq, notInArray, sql } from "drizzle-orm";
import type { PeerPath } from "../../protocol/peer.ts";
import type { WeftDb } from "../db/database.ts";
import { peerPaths } from "../db/schema.ts";

/** Where a path was learned; `lan` is the address LAN discovery heard the peer at. */
export type PathSource = "invite" | "presence" | "dialed" | "lan";

/** Paths kept per peer; a presence lists at most 16, and the dialed ones stay beside them. */
export const MAX_PATHS_PER_PEER = 24;

const isLoopback = (address: string) => /\/\/(localhost|127\.|\[::1\])/.test(address);

/**
 * The typed paths of every peer (transport + address), in the order to try them: the one that
 * last completed a handshake first, then the address LAN discovery last heard it at (it is on
 * this network now), then the others newest first, loopback addresses last (a peer's `localhost`
 * only works when it runs on this very machine).
 */
export class PeerPathStore {
  readonly #db: WeftDb;
  readonly #list;
  readonly #upsert;
  readonly #worked;
  #lastStamp = 0;
  /**
   * Each peer's list as last read: rows and every dial ask for it, and the SQLite read with its
   * mapping cost more than the rest of a row. Every write here drops the peer's entry; only
   * peers that have paths are kept, so ids that have none cannot grow it.
   */
  readonly #kept = new Map<string, readonly PeerPath[]>();
  /** What each peer's last presence said, to spot a repeat; bounded like the peers themselves. */
  readonly #lastPresence = new Map<string, string>();

  constructor(db: WeftDb) {
    this.#db = db;
    const nodeId = sql.placeholder("nodeId");
    this.#list = db
      .select()
      .from(peerPaths)
      .where(eq(peerPaths.nodeId, nodeId))
      .orderBy(sql`${peerPaths.workedAt} IS NULL`, desc(peerPaths.workedAt), desc(peerPaths.learnedAt))
      .prepare();
    const values = {
      nodeId,
      transport: sql.placeholder("transport"),
      address: sql.placeholder("address"),
      source: sql.placeholder("source"),
      learnedAt: sql.placeholder("now"),
    };
    const key = [peerPaths.nodeId, peerPaths.transport, peerPaths.address];
    this.#upsert = db
      .insert(peerPaths)
      .values(values)
      .onConflictDoUpdate({
        target: key,
        set: {
          learnedAt: sql`excluded.learned_at`,
          // A peer's presence usually names the address LAN discovery hears it at: heard on the
          // network, it is tried before the other addresses the peer listed.
          source: sql`CASE WHEN excluded.source = 'lan' THEN 'lan' ELSE ${peerPaths.source} END`,
        },
      })
      .prepare();
    this.#worked = db
      .insert(peerPaths)
      .values({ ...values, workedAt: sql.placeholder("now") })
      .onConflictDoUpdate({ target: key, set: { workedAt: sql`excluded.worked_at` } })
      .prepare();
  }

  /** A peer's paths in the order to try them. */
  list(nodeId: string): readonly PeerPath[] {
    const kept = this.#kept.get(nodeId);
    if (kept) return kept;
    const read = this.#read(nodeId);
    if (read.length > 0) this.#kept.set(nodeId, read);
    return read;
  }

  /** The peer's rows went with it (the table cascades): forget what was kept. */
  forgotten(nodeId: string): void {
    this.#kept.delete(nodeId);
    this.#lastPresence.delete(nodeId);
  }

  #read(nodeId: string): readonly PeerPath[] {
    const rows = this.#list.all({ nodeId });
    const worked = rows.filter((r) => r.workedAt !== null);
    const rest = rows.filter((r) => r.workedAt === null);
    return [
      ...worked,
      ...rest.filter((r) => r.source === "lan"),
      ...rest.filter((r) => r.source !== "lan" && !isLoopback(r.address)),
      ...rest.filter((r) => isLoopback(r.address)),
    ].map((r) => ({ transport: r.transport, address: r.address }));
  }

  /**
   * Records what a peer said of itself (or an invite or LAN discovery said of it). A presence
   * replaces the paths an earlier presence gave, and a LAN address the one heard before, so
   * addresses the peer no longer has are not tried for ever.
   */
  learn(nodeId: string, paths: readonly PeerPath[], source: Exclude<PathSource, "dialed">): void {
    // A peer that relinks tells the same paths again: nothing to write then.
    if (source === "presence" && this.#sameAsLastPresence(nodeId, paths)) return;
    this.#kept.delete(nodeId);
    this.#db.transaction(() => {
      // The first path is the peer's preferred one: written last, so it has the newest stamp.
      for (const p of [...paths].reverse()) this.#upsert.run({ nodeId, ...p, source, now: this.#stamp() });
      if (source === "presence" || source === "lan") {
        const kept = paths.map((p) => `${p.transport} ${p.address}`);
        this.#db
          .delete(peerPaths)
          .where(
            and(
              eq(peerPaths.nodeId, nodeId),
              eq(peerPaths.source, source),
              notInArray(
                sql`${peerPaths.transport} || ' ' || ${peerPaths.address}`,
                kept.length ? kept : [""],
              ),
            ),
          )
          .run();
      }
      this.#prune(nodeId);
    });
  }

  /** A link over `path` completed its handshake: it is tried first next time. */
  worked(nodeId: string, path: PeerPath): void {
    // Already the first to try: the order it gives would not change.
    const first = this.list(nodeId)[0];
    if (first?.transport === path.transport && first.address === path.address) return;
    this.#kept.delete(nodeId);
    this.#worked.run({ nodeId, ...path, source: "dialed", now: this.#stamp() });
    this.#prune(nodeId);
  }

  #sameAsLastPresence(nodeId: string, paths: readonly PeerPath[]): boolean {
    const said = JSON.stringify(paths);
    if (this.#lastPresence.get(nodeId) === said && this.#kept.has(nodeId)) return true;
    this.#lastPresence.set(nodeId, said);
    return false;
  }

  /** Milliseconds, but never the same twice: two writes in one millisecond keep their order. */
  #stamp(): number {
    this.#lastStamp = Math.max(Date.now(), this.#lastStamp + 1);
    return this.#lastStamp;
  }

  /** Keeps the best `MAX_PATHS_PER_PEER`: a peer cannot grow the table by changing addresses. */
  #prune(nodeId: string): void {
    const all = this.#read(nodeId);
    if (all.length <= MAX_PATHS_PER_PEER) return;
    for (const p of all.slice(MAX_PATHS_PER_PEER)) {
      this.#db
        .delete(peerPaths)
        .where(
          and(
            eq(peerPaths.nodeId, nodeId),
            eq(peerPaths.transport, p.transport),
            eq(peerPaths.address, p.address),
          ),
        )
        .run();
    }
  }
}
