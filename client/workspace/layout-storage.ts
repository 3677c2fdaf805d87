import { z } from "zod";
import {
  createLayout,
  type GroupState,
  type LayoutState,
  type MakeId,
  normalizeSizes,
  randomId,
} from "./layout-model.ts";

/** Where the layout is kept; the version in the key changes when the shape does. */
export const LAYOUT_STORAGE_KEY = "weft.layout.v1";

/**
 * What a first visit shows: Get started in front, About behind it. A saved layout, even an empty
 * one, always wins, so this only ever greets a browser that has not used this node before.
 */
export const DEFAULT_PANES: readonly string[] = ["welcome", "about"];

/** The part of `Storage` the layout needs, so tests can pass a plain object. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const id = z.string().min(1).max(64);
const storedLayout = z.object({
  version: z.literal(1),
  groups: z
    .array(
      z.object({
        id,
        tabs: z.array(z.object({ id, paneId: id })).max(200),
        activeTabId: z.string(),
        size: z.number().positive().finite(),
      }),
    )
    .max(32),
  activeGroupId: id.nullable(),
});

/** The layout a first visit (or a value that cannot be trusted) starts from. */
export function defaultLayout(
  isKnownPane: (paneId: string) => boolean,
  makeId: MakeId = randomId,
): LayoutState {
  return createLayout(DEFAULT_PANES.filter(isKnownPane), makeId);
}

export function serializeLayout(state: LayoutState): string {
  return JSON.stringify({ version: 1, groups: state.groups, activeGroupId: state.activeGroupId });
}

/**
 * Rebuilds a layout from what storage held. Anything unreadable, of another version, or with
 * clashing ids gives the default layout; tabs of panes this build does not have are dropped, and a
 * layout that loses every tab that way also starts over rather than opening empty.
 */
export function restoreLayout(
  raw: string | null,
  isKnownPane: (paneId: string) => boolean,
  makeId: MakeId = randomId,
): LayoutState {
  const fallback = () => defaultLayout(isKnownPane, makeId);
  if (raw === null) return fallback();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return fallback();
  }
  const parsed = storedLayout.safeParse(json);
  if (!parsed.success) return fallback();

  const ids = parsed.data.groups.flatMap((g) => [g.id, ...g.tabs.map((t) => t.id)]);
  if (new Set(ids).size !== ids.length) return fallback();

  let storedTabs = 0;
  const groups: GroupState[] = [];
  for (const group of parsed.data.groups) {
    storedTabs += group.tabs.length;
    const tabs = group.tabs.filter((t) => isKnownPane(t.paneId));
    const first = tabs[0];
    if (!first) continue;
    const activeTabId = tabs.some((t) => t.id === group.activeTabId) ? group.activeTabId : first.id;
    groups.push({ id: group.id, tabs, activeTabId, size: group.size });
  }
  if (storedTabs > 0 && groups.length === 0) return fallback();

  const wanted = parsed.data.activeGroupId;
  const activeGroupId = groups.some((g) => g.id === wanted) ? wanted : (groups[0]?.id ?? null);
  return { groups: normalizeSizes(groups), activeGroupId };
}

/** Reads the saved layout; storage that throws (disabled, sandboxed) counts as empty. */
export function loadLayout(
  storage: KeyValueStorage | undefined,
  isKnownPane: (paneId: string) => boolean,
  makeId: MakeId = randomId,
): LayoutState {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(LAYOUT_STORAGE_KEY) ?? null;
  } catch {
    raw = null;
  }
  return restoreLayout(raw, isKnownPane, makeId);
}

/** Saves the layout; false when storage refused (full or disabled), which only costs persistence. */
export function saveLayout(storage: KeyValueStorage | undefined, state: LayoutState): boolean {
  if (!storage) return false;
  try {
    storage.setItem(LAYOUT_STORAGE_KEY, serializeLayout(state));
    return true;
  } catch {
    return false;
  }
}
