import type {
  MetricsHistory as MetricsHistoryData,
  MetricsSample,
  PeerMetrics,
} from "../../protocol/network.ts";

/** How far back the monitor remembers each link (docs/architecture.md). */
export const HISTORY_WINDOW_MS = 10 * 60_000;
/** A ceiling on samples per peer, whatever the tick interval, so memory stays bounded. */
export const MAX_SAMPLES_PER_PEER = 3_600;

/** A fixed-size ring of samples: pushing onto a full ring drops the oldest, with no copying. */
export class SampleRing {
  readonly #slots: Array<MetricsSample | undefined>;
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#slots = new Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#slots.length;
  }

  push(sample: MetricsSample): void {
    this.#slots[(this.#head + this.#size) % this.#slots.length] = sample;
    if (this.#size < this.#slots.length) this.#size += 1;
    else this.#head = (this.#head + 1) % this.#slots.length;
  }

  last(): MetricsSample | undefined {
    return this.#size === 0 ? undefined : this.#slots[(this.#head + this.#size - 1) % this.#slots.length];
  }

  /** Oldest first, only samples at or after `since`. */
  toArray(since = Number.NEGATIVE_INFINITY): MetricsSample[] {
    const out: MetricsSample[] = [];
    for (let i = 0; i < this.#size; i++) {
      const s = this.#slots[(this.#head + i) % this.#slots.length];
      if (s && s.ts >= since) out.push(s);
    }
    return out;
  }
}

/**
 * The last ten minutes of every known peer's link, one sample per monitor tick, in memory only.
 * Each sample carries the session's cumulative counters and the throughput since the sample
 * before, so a chart needs no arithmetic of its own and a fresh tab sees the same numbers.
 */
export class MetricsHistory {
  readonly windowMs: number;
  readonly intervalMs: number;
  readonly capacity: number;
  readonly #rings = new Map<string, SampleRing>();

  constructor(options: { intervalMs: number; windowMs?: number; maxSamples?: number }) {
    this.intervalMs = options.intervalMs;
    this.windowMs = options.windowMs ?? HISTORY_WINDOW_MS;
    // One more than the window holds, so a full window spans its whole width on a chart.
    this.capacity = Math.min(
      Math.ceil(this.windowMs / Math.max(1, this.intervalMs)) + 1,
      options.maxSamples ?? MAX_SAMPLES_PER_PEER,
    );
  }

  /**
   * Appends one sample per peer in `metrics` and returns them by node id. A peer missing from
   * `metrics` was forgotten, so its series goes too.
   */
  record(metrics: readonly PeerMetrics[], ts = Date.now()): Record<string, MetricsSample> {
    const out: Record<string, MetricsSample> = {};
    const present = new Set<string>();
    for (const m of metrics) {
      present.add(m.node_id);
      let ring = this.#rings.get(m.node_id);
      if (!ring) {
        ring = new SampleRing(this.capacity);
        this.#rings.set(m.node_id, ring);
      }
      const sample = toSample(m, ring.last(), ts);
      ring.push(sample);
      out[m.node_id] = sample;
    }
    for (const id of this.#rings.keys()) if (!present.has(id)) this.#rings.delete(id);
    return out;
  }

  forget(nodeId: string): void {
    this.#rings.delete(nodeId);
  }

  /** How many samples a peer has; 0 for an unknown one. */
  size(nodeId: string): number {
    return this.#rings.get(nodeId)?.size ?? 0;
  }

  /** Every peer's samples inside the window, oldest first, as the wire carries them. */
  snapshot(now = Date.now()): MetricsHistoryData {
    const since = now - this.windowMs;
    const series: Record<string, MetricsSample[]> = {};
    for (const [id, ring] of this.#rings) series[id] = ring.toArray(since);
    return { interval_ms: this.intervalMs, window_ms: this.windowMs, series };
  }
}

/**
 * A sample from a metrics row and the sample before it. Throughput is null when the link is not
 * up (a chart draws a gap) or there is nothing to compare with. Counters belong to a session, so
 * a counter that went down means a new link started from zero since the last tick.
 */
function toSample(m: PeerMetrics, prev: MetricsSample | undefined, ts: number): MetricsSample {
  const up = m.status === "connected";
  const seconds = prev ? (ts - prev.ts) / 1000 : 0;
  const rate = (now: number, before: number | undefined): number | null => {
    if (!up || !prev || before === undefined || seconds <= 0) return null;
    const delta = now >= before ? now - before : now;
    return Math.round((delta / seconds) * 10) / 10;
  };
  return {
    ts,
    status: m.status,
    rtt_ms: up ? m.rtt_ms : null,
    bytes_in: m.bytes_in,
    bytes_out: m.bytes_out,
    msgs_in: m.msgs_in,
    msgs_out: m.msgs_out,
    in_bps: rate(m.bytes_in, prev?.bytes_in),
    out_bps: rate(m.bytes_out, prev?.bytes_out),
  };
}
