/** A count as a badge shows it: "99+" past 99, so the badge keeps its size. */
export function badgeCount(count: number): string {
  return count > 99 ? "99+" : String(count);
}
