import type { Logger } from "../log.ts";
import { HandshakeError } from "./handshake.ts";
import type { PeerHub } from "./peer-hub.ts";
import type { PeerStore } from "./peer-store.ts";

export const REDIAL_BASE_MS = 1_000;
export const REDIAL_MAX_MS = 60_000;

/** 1 s doubling to 60 s, each delay drawn from its upper half so peers do not redial in step. */
export function redialDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(REDIAL_MAX_MS, REDIAL_BASE_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Keeps known peers linked: on start it dials every trusted, unblocked peer with an address; after
 * a link drops it redials with backoff until the peer is back, blocked or forgotten; an unblocked
 * peer is dialed again at once.
 */
export class Redialer {
  readonly #hub: PeerHub;
  readonly #peers: PeerStore;
  readonly #log: Logger;
  readonly #enabled: () => boolean;
  readonly #attempts = new Map<string, number>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #off: (() => void) | undefined;
  #running = false;

  constructor(deps: { hub: PeerHub; peers: PeerStore; log: Logger; enabled: () => boolean }) {
    this.#hub = deps.hub;
    this.#peers = deps.peers;
    this.#log = deps.log;
    this.#enabled = deps.enabled;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#off = this.#hub.on({
      peerOffline: (id) => this.#schedule(id),
      peerUpdate: (row) => {
        if (row.status === "connected") this.#attempts.delete(row.node_id);
      },
      peerUnblocked: (id) => this.#redialNow(id),
    });
    for (const peer of this.#peers.list()) this.#schedule(peer.nodeId, 0);
  }

  stop(): void {
    this.#running = false;
    this.#off?.();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  /** Unblocking undoes the block's disconnect: dial at once, with the backoff starting over. */
  #redialNow(nodeId: string): void {
    clearTimeout(this.#timers.get(nodeId));
    this.#timers.delete(nodeId);
    this.#attempts.delete(nodeId);
    this.#schedule(nodeId, 0);
  }

  #schedule(nodeId: string, delayMs?: number): void {
    if (!this.#running || this.#timers.has(nodeId)) return;
    const attempt = this.#attempts.get(nodeId) ?? 0;
    const delay = delayMs ?? redialDelay(attempt);
    this.#timers.set(
      nodeId,
      setTimeout(() => {
        this.#timers.delete(nodeId);
        void this.#attempt(nodeId);
      }, delay),
    );
  }

  async #attempt(nodeId: string): Promise<void> {
    const peer = this.#peers.get(nodeId);
    // Its stored paths and the relay, as its path policy allows.
    const paths = this.#hub.pathsOf(nodeId);
    if (!this.#running || this.#hub.stopping || !peer || !peer.trusted || peer.blocked || paths.length === 0)
      return;
    if (
      !this.#enabled() ||
      this.#hub.session(nodeId) ||
      this.#hub.isDialing(nodeId) ||
      this.#hub.isHeld(nodeId)
    )
      return;
    this.#attempts.set(nodeId, (this.#attempts.get(nodeId) ?? 0) + 1);
    try {
      await this.#hub.dial(paths, {
        expectKey: Buffer.from(peer.publicKey, "base64"),
        expectId: nodeId,
      });
    } catch (err) {
      // A peer that refuses us (it forgot or blocked us) will keep refusing; stop asking.
      if (err instanceof HandshakeError && err.code === "refused") {
        this.#log.info("peer refused a redial; not retrying", { node: nodeId, reason: err.message });
        return;
      }
      this.#log.debug("redial failed", { node: nodeId, error: (err as Error).message });
      this.#schedule(nodeId);
    }
  }
}
