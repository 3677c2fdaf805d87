import type { CollabDecl } from "../../protocol/pane.ts";

/** Longest key part of a pane key (`protocol/collab.ts` allows 1-64 of `[a-z0-9-]`). */
const MAX_KEY = 64;

/**
 * The room a pane instance edits (DESIGN section 8): a `shared` pane has one well-known room,
 * `<paneId>:<key>` with the key defaulting to `main`; an `instance` pane has one room per tab,
 * `<paneId>:<instanceId>`. Instance ids come from the workspace and may hold characters a room
 * key may not, so they are lower-cased and anything outside `[a-z0-9-]` becomes `-`.
 */
export function paneKeyFor(decl: CollabDecl, paneId: string, instanceId: string): string {
  if (decl.room === "shared") return `${paneId}:${decl.key ?? "main"}`;
  const key = instanceId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, MAX_KEY);
  // An empty id would make an invalid key; "-" keeps it valid and visibly odd.
  return `${paneId}:${key || "-"}`;
}
