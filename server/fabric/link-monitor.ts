import type { LinkTotals, MetricsSample, PeerMetrics } from "../../protocol/network.ts";
import { pingData, pongData } from "../../protocol/peer.ts";
import { CLOSE } from "./links/link.ts";
import { MetricsHistory } from "./metrics-history.ts";
import type { PeerHub } from "./peer-hub.ts";
import type { PeerSession } from "./peer-session.ts";

export const PING_INTERVAL_MS = 5_000;
export const MAX_MISSED_PINGS = 3;

/** What one tick saw: every known peer's metrics and the history samples it added. */
export interface MonitorTick {
  ts: number;
  metrics: PeerMetrics[];
  samples: Record<string, MetricsSample>;
}

/**
 * Each peer's traffic over every link since the node started. A session's counters start at zero,
 * so when it ends (or a newer link replaces it) its final counts move into the peer's finished
 * total; the live session's are added on top when asked. In memory only: a restart starts over.
 */
export class TrafficTotals {
  readonly #finished = new Map<string, LinkTotals>();
  readonly #live = new Map<string, PeerSession>();

  /** Notes which session carries a peer's link now (none when it is down). */
  track(nodeId: string, session: PeerSession | undefined): void {
    const prev = this.#live.get(nodeId);
    if (prev === session) return;
    if (prev) this.#finished.set(nodeId, add(this.#finished.get(nodeId), prev));
    if (session) this.#live.set(nodeId, session);
    else this.#live.delete(nodeId);
  }

  forget(nodeId: string): void {
    this.#finished.delete(nodeId);
    this.#live.delete(nodeId);
  }

  of(nodeId: string): LinkTotals {
    const live = this.#live.get(nodeId);
    const done = this.#finished.get(nodeId) ?? ZERO;
    return live ? add(done, live) : { ...done };
  }
}

const ZERO: LinkTotals = { bytes_in: 0, bytes_out: 0, msgs_in: 0, msgs_out: 0 };

function add(t: LinkTotals | undefined, s: PeerSession): LinkTotals {
  const base = t ?? ZERO;
  return {
    bytes_in: base.bytes_in + s.stats.bytesIn,
    bytes_out: base.bytes_out + s.stats.bytesOut,
    msgs_in: base.msgs_in + s.stats.msgsIn,
    msgs_out: base.msgs_out + s.stats.msgsOut,
  };
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
  readonly totals = new TrafficTotals();
  readonly #hub: PeerHub;
  readonly #intervalMs: number;
  readonly #listeners = new Set<(tick: MonitorTick) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #offHub: (() => void) | undefined;

  constructor(hub: PeerHub, options: { intervalMs?: number } = {}) {
    this.#hub = hub;
    this.#intervalMs = options.intervalMs ?? PING_INTERVAL_MS;
    this.history = new MetricsHistory({ intervalMs: this.#intervalMs });
    // Ping and pong are the monitor's: it sends the pings and measures the RTT with the pongs.
    hub.handle(
      "ping",
      pingData,
      (session, data, env) => {
        session.send("pong", data, env.msg_id);
      },
      { fromAnyPeer: true },
    );
    hub.handle(
      "pong",
      pongData,
      (session, data) => {
        session.rttMs = Math.round((performance.now() - data.sent) * 10) / 10;
        session.missedPings = 0;
        hub.emitRow(session.peerId);
      },
      { fromAnyPeer: true },
    );
    // Subscribed for the hub's whole life, not just while ticking: a link that opens and closes
    // between two ticks, or while the pings are stopped, still counts toward its peer's totals.
    hub.on({
      peerOnline: (nodeId) => this.totals.track(nodeId, hub.session(nodeId)),
      peerOffline: (nodeId) => this.totals.track(nodeId, hub.session(nodeId)),
      peerRemoved: (nodeId) => this.totals.forget(nodeId),
    });
  }

  /** Every known peer's metrics, with its traffic totals across links. */
  metrics(): PeerMetrics[] {
    return this.#hub.metrics().map((m) => {
      this.totals.track(m.node_id, this.#hub.session(m.node_id));
      return { ...m, totals: this.totals.of(m.node_id) };
    });
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
    const metrics = this.metrics();
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
