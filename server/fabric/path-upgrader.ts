import type { PeerPath } from "../../protocol/peer.ts";
import type { Logger } from "../log.ts";
import type { PeerHub } from "./peer-hub.ts";
import { pathRank } from "./peer-session.ts";
import type { PeerStore } from "./peer-store.ts";

/** How often a relayed peer's better paths are tried again (docs/architecture.md, path choice). */
export const UPGRADE_INTERVAL_MS = 60_000;

/**
 * Moves relayed links to better paths. Every minute, and as soon as a relayed peer tells new
 * paths, it dials that peer's better paths quietly; a link that completes replaces the relayed
 * one by the hub's rule (a better path wins), and every feature resumes on it: chat resends what
 * was not acknowledged, collab syncs state vectors. A dial that fails changes nothing.
 */
export class PathUpgrader {
  readonly #hub: PeerHub;
  readonly #peers: PeerStore;
  readonly #log: Logger;
  readonly #intervalMs: number;
  /** The better paths last tried per peer, so a presence that repeats them does not redial. */
  readonly #tried = new Map<string, string>();
  readonly #trying = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #off: (() => void) | undefined;

  constructor(deps: { hub: PeerHub; peers: PeerStore; log: Logger; intervalMs?: number }) {
    this.#hub = deps.hub;
    this.#peers = deps.peers;
    this.#log = deps.log;
    this.#intervalMs = deps.intervalMs ?? UPGRADE_INTERVAL_MS;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#tried.clear();
      for (const s of this.#hub.sessions()) void this.upgrade(s.peerId);
    }, this.#intervalMs);
    this.#off = this.#hub.on({
      peerUpdate: (row) => {
        if (row.status === "connected") void this.upgrade(row.node_id, { onlyIfNew: true });
      },
      peerOffline: (id) => this.#tried.delete(id),
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#off?.();
  }

  /** Tries the peer's paths that beat its current link; resolves whether one took over. */
  async upgrade(nodeId: string, opts: { onlyIfNew?: boolean } = {}): Promise<boolean> {
    const session = this.#hub.session(nodeId);
    const peer = this.#peers.get(nodeId);
    if (!session || !peer || this.#trying.has(nodeId) || this.#hub.stopping) return false;
    const rank = pathRank(session.link.transport);
    const better: PeerPath[] = this.#hub.pathsOf(nodeId).filter((p) => pathRank(p.transport) > rank);
    if (better.length === 0) return false;
    const key = JSON.stringify(better);
    if (opts.onlyIfNew && this.#tried.get(nodeId) === key) return false;
    this.#tried.set(nodeId, key);
    this.#trying.add(nodeId);
    try {
      await this.#hub.dial(better, { expectKey: Buffer.from(peer.publicKey, "base64") });
      this.#log.info("peer link upgraded", { node: nodeId, from: session.link.transport });
      return this.#hub.session(nodeId) !== session;
    } catch (err) {
      this.#log.debug("path upgrade failed", { node: nodeId, error: (err as Error).message });
      return false;
    } finally {
      this.#trying.delete(nodeId);
    }
  }
}
