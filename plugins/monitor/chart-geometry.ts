import type { MetricsSample, PeerStatus } from "../../protocol/network.ts";
import { byteUnit } from "../sdk/index.ts";

/** One value at one time; null where nothing was measured (the line breaks there). */
export interface Point {
  t: number;
  v: number | null;
  /** The link was not up at `t`; a readout says so rather than show a bare dash. */
  down?: boolean;
}

/** A stretch of time a link was not up. */
export interface DownRun {
  start: number;
  end: number;
  status: Exclude<PeerStatus, "connected">;
}

/** One line of a chart: a peer's values over time. */
export interface ChartLine {
  key: string;
  /** Node id of the peer; hovering its table row highlights its lines. */
  peer: string;
  name: string;
  color: number;
  dashed?: boolean;
  points: readonly Point[];
}

/** A shaded stretch where a peer's link was down. */
export interface ChartBand {
  key: string;
  peer: string;
  name: string;
  color: number;
  run: DownRun;
  /** The link is still down: the band runs to "now" and its label says "since". */
  ongoing: boolean;
}

/** A chart's points from a peer's samples: one value per sample, marked where the link was down. */
export function samplePoints(
  samples: readonly MetricsSample[],
  pick: (s: MetricsSample) => number | null,
): Point[] {
  return samples.map((s) => {
    const down = s.status !== "connected";
    return { t: s.ts, v: down ? null : pick(s), down };
  });
}

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps everything to r0. */
export function linear(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (x) => r0 + (x - d0) * k;
}

const px = (n: number) => (Math.round(n * 10) / 10).toString();

/**
 * An SVG path through `points`, broken where a value is missing or two samples are further apart
 * than `maxGapMs` (the node's timer stalled). A point alone between breaks is drawn as a dot: a
 * zero-length segment that round line caps render.
 */
export function linePath(
  points: readonly Point[],
  x: (t: number) => number,
  y: (v: number) => number,
  maxGapMs = Number.POSITIVE_INFINITY,
): string {
  let d = "";
  let open = false;
  let prevT = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v)) {
      open = false;
      continue;
    }
    if (open && p.t - prevT > maxGapMs) open = false;
    d += `${open ? "L" : "M"}${px(x(p.t))} ${px(y(p.v))}`;
    if (!open) d += "h0";
    open = true;
    prevT = p.t;
  }
  return d;
}

/** The next "nice" number at or above `v`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  const f = v / power;
  const step = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return step * power;
}

/**
 * The largest value an axis must show in full. One spike must not flatten every other point, so
 * when the maximum is more than `spread` times the 95th percentile, the percentile is the top and
 * the few points above it are drawn clipped. The percentile is the nearest rank below, so even in
 * a short window of a dozen samples a lone spike is left out; with fewer than `minCount` values
 * there is no telling a spike from the trend, and all fit. Values in `keep` always fit: each
 * line's latest, the figure a person reads as "now".
 */
export function robustMax(
  values: Iterable<number | null>,
  keep: Iterable<number | null> = [],
  spread = 2,
  minCount = 8,
): number {
  const sorted: number[] = [];
  for (const v of values) if (v !== null && Number.isFinite(v) && v > 0) sorted.push(v);
  sorted.sort((a, b) => a - b);
  let top = 0;
  const max = sorted.at(-1);
  if (max !== undefined && sorted.length < minCount) top = max;
  else if (max !== undefined) {
    const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))] ?? max;
    top = max <= p95 * spread ? max : p95;
  }
  for (const v of keep) if (v !== null && Number.isFinite(v) && v > top) top = v;
  return top;
}

/** The top of an RTT axis: a nice number of milliseconds above the robust maximum, never below `floor`. */
export function rttAxisMax(
  values: Iterable<number | null>,
  floor = 1,
  keep: Iterable<number | null> = [],
): number {
  return niceCeil(Math.max(robustMax(values, keep) * 1.1, floor));
}

/** The top of a bytes-per-second axis: nice in the unit its labels use, so they read "2.5 KiB/s". */
export function rateAxisMax(
  values: Iterable<number | null>,
  floor = 1024,
  keep: Iterable<number | null> = [],
): number {
  const top = Math.max(robustMax(values, keep) * 1.1, floor);
  const { size } = byteUnit(top);
  return niceCeil(top / size) * size;
}

/**
 * Each line's latest value (its last measured one, when the link has gone down since): what an
 * axis keeps in view whatever its scale leaves out.
 */
export function latestValues(lines: readonly ChartLine[]): Array<number | null> {
  return lines.map((l) => l.points.findLast((p) => p.v !== null)?.v ?? null);
}

/** The points of a line above the axis top: drawn at the top edge with a marker. */
export function clippedPoints(points: readonly Point[], yMax: number): Array<{ t: number; v: number }> {
  const out: Array<{ t: number; v: number }> = [];
  for (const p of points) if (p.v !== null && p.v > yMax) out.push({ t: p.t, v: p.v });
  return out;
}

/**
 * Gridline values from 0 to `yMax`, which is a nice number in units of `unit`. Halves, except for
 * a top of 2.5 (×10ⁿ), whose half would read "1.3 ms": then whole steps up to it, 0, 1, 2, 2.5.
 */
export function axisTicks(yMax: number, unit = 1): number[] {
  const v = yMax / unit;
  const power = 10 ** Math.floor(Math.log10(v));
  if (v > 0 && Number.isFinite(v) && Math.abs(v / power - 2.5) < 1e-9) {
    return [0, 0.4 * yMax, 0.8 * yMax, yMax];
  }
  return [0, yMax / 2, yMax];
}

/**
 * The stretches of `samples` where the link was not up, clipped to [from, to]. A stretch starts at
 * the last sample that saw the link up (it went down after that) and ends at the first that sees
 * it up again, or at `to` while it is still down, so even one missed tick has a visible width.
 */
export function downRuns(samples: readonly MetricsSample[], from: number, to: number): DownRun[] {
  const runs: DownRun[] = [];
  let run: DownRun | undefined;
  let lastUp: number | undefined;
  for (const s of samples) {
    if (s.status === "connected") {
      if (run) {
        run.end = s.ts;
        runs.push(run);
        run = undefined;
      }
      lastUp = s.ts;
    } else if (!run) {
      run = { start: lastUp ?? s.ts, end: to, status: s.status };
    } else if (s.status === "offline") {
      // Connecting that never made it is still down; offline is the stronger word for the stretch.
      run.status = "offline";
    }
  }
  if (run) runs.push(run);
  return runs
    .map((r) => ({ ...r, start: Math.max(r.start, from), end: Math.min(r.end, to) }))
    .filter((r) => r.end > r.start);
}

/** Gridline times for a window: every 15 s, 1, 2 or 5 min, as many as fit about six labels. */
export function timeTicks(from: number, to: number): number[] {
  const span = to - from;
  const steps = [15_000, 30_000, 60_000, 120_000, 300_000];
  const step = steps.find((s) => span / s <= 6) ?? 600_000;
  const out: number[] = [];
  // Measured back from `to`, so "now" always has a line and the labels read −1 min, −2 min…
  for (let t = to; t >= from; t -= step) out.push(t);
  return out.reverse();
}
