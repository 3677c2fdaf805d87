import type { MetricsSample, PeerMetrics, PeerRow, PeerStatus } from "../../protocol/network.ts";

/** Each peer's samples, oldest first, as the pane holds them. */
export type Series = Readonly<Record<string, readonly MetricsSample[]>>;

/** The samples at or after `from`; the same array when none is older. */
function since(samples: readonly MetricsSample[], from: number): readonly MetricsSample[] {
  let i = 0;
  while (i < samples.length && (samples[i]?.ts ?? 0) < from) i++;
  return i === 0 ? samples : samples.slice(i);
}

/**
 * The series after one monitor tick: its samples appended, anything older than the window
 * dropped. A tick samples every known peer, so one missing from it was forgotten and goes.
 * A sample already held (the history answer crossed a tick) is not added twice.
 */
export function appendTick(
  series: Series,
  samples: Readonly<Record<string, MetricsSample>>,
  windowMs: number,
  ts: number,
): Series {
  const from = ts - windowMs;
  const next: Record<string, readonly MetricsSample[]> = {};
  for (const [id, sample] of Object.entries(samples)) {
    const kept = since(series[id] ?? [], from);
    const last = kept.at(-1);
    next[id] = last && last.ts >= sample.ts ? kept : [...kept, sample];
  }
  return next;
}

/** The series without one peer's; the same object when it had none. */
export function dropSeries(series: Series, nodeId: string): Series {
  if (!(nodeId in series)) return series;
  const { [nodeId]: _gone, ...rest } = series;
  return rest;
}

/** The latest tick time the series know of, or undefined when they are empty. */
export function latestTs(series: Series): number | undefined {
  let latest: number | undefined;
  for (const samples of Object.values(series)) {
    const ts = samples.at(-1)?.ts;
    if (ts !== undefined && (latest === undefined || ts > latest)) latest = ts;
  }
  return latest;
}

/**
 * The table after a `peer_update`: status, RTT, name and transport change at once, between ticks,
 * so a link going down shows without waiting for the next one. A new peer starts with no traffic.
 */
export function applyPeerRow(links: readonly PeerMetrics[], peer: PeerRow): PeerMetrics[] {
  const at = links.findIndex((l) => l.node_id === peer.node_id);
  const base = links[at] ?? { bytes_in: 0, bytes_out: 0, msgs_in: 0, msgs_out: 0 };
  const up = peer.status === "connected";
  const row: PeerMetrics = {
    ...base,
    node_id: peer.node_id,
    node_name: peer.node_name,
    transport: peer.transport,
    status: peer.status,
    rtt_ms: peer.rtt_ms,
    last_seen: peer.last_seen,
    // A session's counters end with it; the next tick reports the new session's from zero.
    ...(up ? {} : { bytes_in: 0, bytes_out: 0, msgs_in: 0, msgs_out: 0 }),
  };
  if (at === -1) return [...links, row];
  const next = [...links];
  next[at] = row;
  return next;
}

export function removeLink(links: readonly PeerMetrics[], nodeId: string): readonly PeerMetrics[] {
  return links.some((l) => l.node_id === nodeId) ? links.filter((l) => l.node_id !== nodeId) : links;
}

/** Table rows from the Peers REST answer, with counters from each peer's latest sample. */
export function linksFromRows(rows: readonly PeerRow[], series: Series): PeerMetrics[] {
  return rows.map((r) => {
    const last = series[r.node_id]?.at(-1);
    const live = r.status === "connected" && last?.status === "connected";
    return {
      node_id: r.node_id,
      node_name: r.node_name,
      transport: r.transport,
      status: r.status,
      rtt_ms: r.rtt_ms,
      bytes_in: live ? last.bytes_in : 0,
      bytes_out: live ? last.bytes_out : 0,
      msgs_in: live ? last.msgs_in : 0,
      msgs_out: live ? last.msgs_out : 0,
      last_seen: r.last_seen,
    };
  });
}

const STATUS_ORDER: Record<PeerStatus, number> = { connected: 0, connecting: 1, offline: 2 };

/** Live links first, then by name, so rows do not jump around between ticks. */
export function sortLinks(links: readonly PeerMetrics[]): PeerMetrics[] {
  return [...links].sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      a.node_name.localeCompare(b.node_name, undefined, { sensitivity: "base" }) ||
      a.node_id.localeCompare(b.node_id),
  );
}

/** How many series colours the theme defines (`--series-0` …). */
export const SERIES_COLORS = 6;

/**
 * A colour slot per peer, by node id order: stable while the pane is open and the same on every
 * tab, rather than shifting each time the table re-sorts by status.
 */
export function colorSlots(ids: Iterable<string>): Map<string, number> {
  const sorted = [...new Set(ids)].sort();
  return new Map(sorted.map((id, i) => [id, i % SERIES_COLORS]));
}

/** Whether a peer's samples saw the link up at or after `from`: only such peers get a line. */
export function wasUpSince(samples: readonly MetricsSample[], from: number): boolean {
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i];
    if (!s || s.ts < from) break;
    if (s.status === "connected") return true;
  }
  return false;
}
