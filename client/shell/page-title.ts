import { badgeCount } from "../../plugins/sdk/badge-count.ts";

/** "(3) weft" while any pane has a badge count, "weft" otherwise. */
export function pageTitle(count: number, base = "weft"): string {
  return count > 0 ? `(${badgeCount(count)}) ${base}` : base;
}
