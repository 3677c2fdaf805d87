/** When a notice happened, as a person reads it: "just now", "5 min ago", "3 h ago", or a date. */
export function formatNoticeTime(ts: number, now = Date.now()): string {
  const ago = Math.max(0, now - ts);
  if (ago < 60_000) return "just now";
  if (ago < 3600_000) return `${Math.floor(ago / 60_000)} min ago`;
  if (ago < 24 * 3600_000) return `${Math.floor(ago / 3600_000)} h ago`;
  return new Date(ts).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}
