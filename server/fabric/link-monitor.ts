import { CLOSE } from "./link.ts";
import type { PeerHub } from "./peer-hub.ts";

export const PING_INTERVAL_MS = 5_000;
export const MAX_MISSED_PINGS = 3;

/**
 * Pings every link on an interval; a pong stamps the RTT. Three pings in a row without a pong
 * mark the link dead and close it, so a peer that vanished without a goodbye goes offline.
 */
export class LinkMonitor {
  readonly #hub: PeerHub;
  readonly #intervalMs: number;
  readonly #onTick: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(hub: PeerHub, options: { intervalMs?: number; onTick?: () => void } = {}) {
    this.#hub = hub;
    this.#intervalMs = options.intervalMs ?? PING_INTERVAL_MS;
    this.#onTick = options.onTick;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  tick(): void {
    for (const session of this.#hub.sessions()) {
      if (session.missedPings >= MAX_MISSED_PINGS) {
        session.rttMs = null;
        session.close(CLOSE.goingAway, `no answer to ${MAX_MISSED_PINGS} pings`);
        continue;
      }
      session.missedPings += 1;
      session.send("ping", { sent: performance.now() });
    }
    this.#onTick?.();
  }
}
