import type { MetricsSample, PeerMetrics } from "../../protocol/network.ts";
import { CLOSE } from "./link.ts";
import { MetricsHistory } from "./metrics-history.ts";
import type { PeerHub } from "./peer-hub.ts";

export const PING_INTERVAL_MS = 5_000;
export const MAX_MISSED_PINGS = 3;

/** What one tick saw: every known peer's metrics and the history samples it added. */
export interface MonitorTick {
  ts: number;
  metrics: PeerMetrics[];
  samples: Record<string, MetricsSample>;
}

/**
 * Pings every link on an interval; a pong stamps the RTT. A ping still unanswered at the next
 * tick clears the RTT for that tick, so a stalled link never shows its last good figure. Three
 * pings in a row without a pong mark the link dead and close it, so a peer that vanished without
 * a goodbye goes offline. Each tick also samples every peer into the history and tells listeners
 * (the `network` channel broadcasts it to every tab).
 */
export class LinkMonitor {
  readonly history: MetricsHistory;
  readonly #hub: PeerHub;
  readonly #intervalMs: number;
  readonly #listeners = new Set<(tick: MonitorTick) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #offHub: (() => void) | undefined;

  constructor(hub: PeerHub, options: { intervalMs?: number } = {}) {
    this.#hub = hub;
    this.#intervalMs = options.intervalMs ?? PING_INTERVAL_MS;
    this.history = new MetricsHistory({ intervalMs: this.#intervalMs });
  }

  /** Runs after every tick; returns the unsubscribe function. */
  onTick(listener: (tick: MonitorTick) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#intervalMs);
    // A forgotten peer's history goes at once rather than at the next tick.
    this.#offHub ??= this.#hub.on({ peerRemoved: (nodeId) => this.history.forget(nodeId) });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#offHub?.();
    this.#offHub = undefined;
  }

  tick(): void {
    for (const session of this.#hub.sessions()) {
      if (session.missedPings >= MAX_MISSED_PINGS) {
        session.rttMs = null;
        session.close(CLOSE.goingAway, `no answer to ${MAX_MISSED_PINGS} pings`);
        continue;
      }
      if (session.missedPings > 0 && session.rttMs !== null) {
        session.rttMs = null;
        this.#hub.emitRow(session.peerId);
      }
      session.missedPings += 1;
      session.send("ping", { sent: performance.now() });
    }
    const ts = Date.now();
    const metrics = this.#hub.metrics();
    const samples = this.history.record(metrics, ts);
    for (const listener of this.#listeners) {
      try {
        listener({ ts, metrics, samples });
      } catch {
        // A failing listener must not stop the pings: the timer has to keep running.
      }
    }
  }
}
