import { formatAge } from "../../plugins/sdk/peer-format.ts";

const DAY = 24 * 3600_000;

/** When a notice happened, as a person reads it: "just now", "5 min ago", "3 h ago", or a date. */
export function formatNoticeTime(ts: number, now = Date.now()): string {
  // The open inbox refreshes its times every 30 s, too seldom to count seconds.
  if (now - ts < DAY) return formatAge(now - ts, "minutes");
  return new Date(ts).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}
