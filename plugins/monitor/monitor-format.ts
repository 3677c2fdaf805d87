/**
 * What only the monitor's charts say: axis labels, clock times and outage bands. Figures (bytes,
 * rates, round trips, ages) come from the SDK, so the table reads like the other panes.
 */
import type { PeerStatus } from "../../protocol/network.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

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
