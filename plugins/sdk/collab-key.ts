import { roomAddressOf } from "../../protocol/collab.ts";
import type { CollabDecl } from "../../protocol/pane.ts";

/** Longest key part of a pane key (`protocol/collab.ts` allows 1-64 of `[a-z0-9-]`). */
const MAX_KEY = 64;

/**
 * The room a pane instance edits (protocol/collab.ts): a `shared` pane has one well-known room,
 * `<paneId>:<key>` with the key defaulting to `main`; an `instance` pane has one room per tab,
 * `<paneId>:<instanceId>`. Instance ids come from the workspace and may hold characters a room
 * key may not, so they are lower-cased and anything outside `[a-z0-9-]` becomes `-`.
 *
 * Rooms have owners: without `owner` (or with null) this is the node's own room; with another
 * node's id it is that node's room of the same key as shared with this node, `<paneKey>@<owner>`.
 * The two are separate documents and never merge.
 */
export function paneKeyFor(
  decl: CollabDecl,
  paneId: string,
  instanceId: string,
  owner: string | null = null,
): string {
  if (decl.room === "shared") return roomAddressOf(`${paneId}:${decl.key ?? "main"}`, owner);
  const key = instanceId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, MAX_KEY);
  // An empty id would make an invalid key; "-" keeps it valid and visibly odd.
  return roomAddressOf(`${paneId}:${key || "-"}`, owner);
}
