/**
 * How chat shows time: relative within today ("4 min ago"), dates otherwise, and day separators
 * ("Today", "Yesterday", "Monday", "12 March"). All in the viewer's local time zone. `locale` is
 * left to the browser in the UI; tests pin it.
 */
import { formatAge } from "../sdk/index.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, found);
  }
  return found;
}

function startOfDay(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** The local calendar day of `ts`, e.g. "2025-03-12"; messages with the same key share a separator. */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Whole calendar days from `ts` to `now` (0 today, 1 yesterday); rounding absorbs DST's 23 h days. */
export function daysAgo(ts: number, now: number): number {
  return Math.round((startOfDay(now) - startOfDay(ts)) / DAY);
}

/**
 * A message's time: "just now", "4 min ago", "3 h ago" today; "12 Mar, 14:05" on an earlier day
 * (with the year when it is not this year). A time slightly ahead of ours (a peer's clock runs
 * fast) reads "just now" rather than a date.
 */
export function formatMessageTime(ts: number, now: number, locale?: string): string {
  const at = ts > now && ts - now < HOUR ? now : ts;
  // The pane refreshes its times every 30 s, too seldom to count seconds.
  if (daysAgo(at, now) === 0) return formatAge(now - at, "minutes");
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
    hour: "2-digit",
    minute: "2-digit",
  }).format(at);
}

/** A compact time for the conversation list: "14:05" today, "Mon" this week, "12 Mar" before. */
export function formatShortTime(ts: number, now: number, locale?: string): string {
  const days = daysAgo(ts, now);
  if (days <= 0) return formatter(locale, { hour: "2-digit", minute: "2-digit" }).format(ts);
  if (days < 7) return formatter(locale, { weekday: "short" }).format(ts);
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
  }).format(ts);
}

/** A day separator: "Today", "Yesterday", a weekday within the last week, else the date. */
export function formatDay(ts: number, now: number, locale?: string): string {
  const days = daysAgo(ts, now);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days < 7) return formatter(locale, { weekday: "long" }).format(ts);
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, {
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  }).format(ts);
}

/** The full date and time, for a tooltip. */
export function formatFullTime(ts: number, locale?: string): string {
  return formatter(locale, { dateStyle: "full", timeStyle: "short" }).format(ts);
}
