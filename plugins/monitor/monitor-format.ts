import type { PeerStatus } from "../../protocol/network.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Binary units: a counter of bytes read in KiB matches what the OS and most tools show. */
export const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** The unit `bytes` reads best in, and what one of it is worth. */
export function byteUnit(bytes: number): { unit: string; size: number } {
  let i = 0;
  while (i < BYTE_UNITS.length - 1 && Math.abs(bytes) >= 1024 ** (i + 1)) i++;
  return { unit: BYTE_UNITS[i] ?? "B", size: 1024 ** i };
}

/** "0 B", "812 B", "1.5 KiB", "42.0 KiB", "318 MiB": three significant figures at most. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  const { unit, size } = byteUnit(bytes);
  if (size === 1) return `${Math.round(bytes)} B`;
  const v = bytes / size;
  return `${v < 100 ? v.toFixed(1) : Math.round(v)} ${unit}`;
}

/** Bytes per second; an em dash while the link is down or not measured yet. */
export function formatRate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return "—";
  return `${formatBytes(bps)}/s`;
}

/** "12.3 ms" to the tenth the monitor measures; "1.24 s" past a second; a dash for no answer. */
export function formatRtt(rtt: number | null | undefined): string {
  if (rtt === null || rtt === undefined || !Number.isFinite(rtt) || rtt < 0) return "—";
  return rtt < 1000 ? `${rtt.toFixed(1)} ms` : `${(rtt / 1000).toFixed(2)} s`;
}

const counts = new Intl.NumberFormat("en-US");

/** "1,234": message counts grouped so they stay readable as they grow. */
export function formatCount(n: number): string {
  return counts.format(n);
}

/**
 * Epoch milliseconds from a timestamp that may be in seconds: 1e12 ms is 2001 while 1e12 s is far
 * in the future, so the two cannot be confused.
 */
export function toMillis(ts: number): number {
  return ts < 1e12 ? ts * 1000 : ts;
}

/** "just now", "40 s ago", "3 min ago", "2 h ago", "5 d ago"; "never" for a peer never seen. */
export function formatLastSeen(lastSeen: number | null, now: number): string {
  if (lastSeen === null) return "never";
  const ago = Math.max(0, now - toMillis(lastSeen));
  if (ago < 10 * SECOND) return "just now";
  if (ago < MINUTE) return `${Math.floor(ago / SECOND)} s ago`;
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h ago`;
  return `${Math.floor(ago / DAY)} d ago`;
}

const STATUS_LABELS: Record<PeerStatus, string> = {
  connected: "Connected",
  connecting: "Connecting…",
  offline: "Offline",
};

export function statusLabel(status: PeerStatus): string {
  return STATUS_LABELS[status];
}

/** An axis label: as `format` says, without a trailing ".0" ("5 ms", "2.5 KiB/s", "0 B/s"). */
export function axisLabel(format: (v: number) => string, v: number): string {
  return format(v).replace(/\.0(?= )/, "");
}

/**
 * A wall-clock time to the second, for reading a chart at one point. A 24-hour clock: a range of
 * two of them has to fit inside an outage band.
 */
export function formatClock(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
}

/** What an outage band says: "bob offline 10:41:05–10:41:38", or "since 10:41:05" while still down. */
export function outageLabel(
  name: string,
  status: Exclude<PeerStatus, "connected">,
  start: number,
  end: number,
  ongoing: boolean,
): { what: string; when: string } {
  const what = `${name} ${status === "offline" ? "offline" : "reconnecting"}`;
  const when = ongoing ? `since ${formatClock(start)}` : `${formatClock(start)}–${formatClock(end)}`;
  return { what, when };
}

/** A relative time-axis label: "now", "−30 s", "−4 min". */
export function formatAgo(ms: number): string {
  if (ms <= 0) return "now";
  return ms < MINUTE ? `−${Math.round(ms / SECOND)} s` : `−${Math.round(ms / MINUTE)} min`;
}

/** The first half of a node id: enough to tell peers apart at a glance. */
export function shortId(nodeId: string): string {
  return nodeId.length > 8 ? nodeId.slice(0, 8) : nodeId;
}
