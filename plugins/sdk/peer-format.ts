/**
 * How panes show a peer and its link: ages, round trips, byte counts and link status, written once
 * so Peers, Monitor and Chat say the same thing the same way.
 */
import type { PeerStatus } from "../../protocol/network.ts";
import { toMillis } from "./invites.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How finely an age is told. A view that refreshes every half minute or so asks for `minutes`:
 * a count of seconds would be out of date before anyone read it.
 */
export type AgePrecision = "seconds" | "minutes";

/**
 * An age in words: "just now", "42 s ago", "3 min ago", "2 h ago", "5 d ago". With `minutes`, the
 * whole first minute is "just now". A negative age (a clock slightly ahead of ours) is "just now".
 */
export function formatAge(ms: number, precision: AgePrecision = "seconds"): string {
  const ago = Math.max(0, ms);
  if (ago < (precision === "seconds" ? 10 * SECOND : MINUTE)) return "just now";
  if (ago < MINUTE) return `${Math.floor(ago / SECOND)} s ago`;
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h ago`;
  return `${Math.floor(ago / DAY)} d ago`;
}

/** When a peer was last seen, as `formatAge` says it; "never" for a peer never seen. */
export function formatLastSeen(lastSeen: number | null, now: number): string {
  if (lastSeen === null) return "never";
  return formatAge(now - toMillis(lastSeen));
}

/**
 * "0.4 ms" and "12.3 ms" to the tenth a link measures, "149 ms" once the tenth is noise, "1.23 s"
 * past a second; an em dash when there is no measurement.
 */
export function formatRtt(rtt: number | null | undefined): string {
  if (rtt === null || rtt === undefined || !Number.isFinite(rtt) || rtt < 0) return "—";
  if (rtt < 100) return `${rtt.toFixed(1)} ms`;
  return rtt < 1000 ? `${Math.round(rtt)} ms` : `${(rtt / 1000).toFixed(2)} s`;
}

/** Binary units: a counter of bytes read in KiB matches what the OS and most tools show. */
export const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** The unit `bytes` reads best in, and what one of it is worth. */
export function byteUnit(bytes: number): { unit: string; size: number } {
  let i = 0;
  while (i < BYTE_UNITS.length - 1 && Math.abs(bytes) >= 1024 ** (i + 1)) i++;
  return { unit: BYTE_UNITS[i] ?? "B", size: 1024 ** i };
}

/**
 * A byte count for tables and charts, in binary units and three significant figures at most:
 * "0 B", "812 B", "1.5 KiB", "42.0 KiB", "318 MiB". Every value past a KiB keeps its decimal, so
 * a column of them lines up. A dash for nonsense.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  const { unit, size } = byteUnit(bytes);
  if (size === 1) return `${Math.round(bytes)} B`;
  const v = bytes / size;
  return `${v < 100 ? v.toFixed(1) : Math.round(v)} ${unit}`;
}

/**
 * The same count for a sentence ("the limit is 16 KiB"): "900 bytes", "16 KiB", "17.2 KiB". A
 * whole number of units drops its ".0", which would read as fussy in words.
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  const { unit, size } = byteUnit(bytes);
  if (size === 1) return `${Math.round(bytes)} bytes`;
  const v = bytes / size;
  return Number.isInteger(v) ? `${v} ${unit}` : formatBytes(bytes);
}

/** Bytes per second; an em dash while the link is down or not measured yet. */
export function formatRate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return "—";
  return `${formatBytes(bps)}/s`;
}

const counts = new Intl.NumberFormat("en-US");

/** "1,234": counts grouped so they stay readable as they grow. */
export function formatCount(n: number): string {
  return counts.format(n);
}

const STATUS_LABELS: Record<PeerStatus, string> = {
  connected: "Connected",
  connecting: "Connecting…",
  offline: "Offline",
};

/** The link's state in a word: "Connected", "Connecting…", "Offline". */
export function statusLabel(status: PeerStatus): string {
  return STATUS_LABELS[status];
}

const PRESENCE_LABELS: Record<PeerStatus, string> = {
  connected: "Online",
  connecting: "Connecting…",
  offline: "Offline",
};

/**
 * The same state said of the person rather than the link ("Online"), for views about talking to
 * someone, such as a conversation.
 */
export function presenceLabel(status: PeerStatus): string {
  return PRESENCE_LABELS[status];
}

/** What a status dot says at a glance: fine, on its way, in trouble, or nothing going on. */
export type StatusTone = "ok" | "busy" | "bad" | "idle";

/**
 * A peer's status as a dot's tone. `offline` is "idle" where a peer being away is ordinary (a
 * list of peers) and "bad" where a link that dropped is the thing to notice (link health).
 */
export function statusTone(status: PeerStatus, offline: "idle" | "bad" = "idle"): StatusTone {
  if (status === "connected") return "ok";
  return status === "connecting" ? "busy" : offline;
}
