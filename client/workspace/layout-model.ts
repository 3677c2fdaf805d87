/**
 * The workspace layout as immutable data and pure functions: columns of tab groups, each with its
 * tabs and the one that is showing. Every operation returns a new state (or the same object when
 * nothing changed), so the rune wrapper can persist on change and tests need no DOM.
 */

/** One open pane: `id` is the instance id handed to the pane component. */
export interface TabState {
  readonly id: string;
  readonly paneId: string;
}

/** A column of tabs; `size` is its share of the workspace width (all sizes sum to 1). */
export interface GroupState {
  readonly id: string;
  readonly tabs: readonly TabState[];
  readonly activeTabId: string;
  readonly size: number;
}

export interface LayoutState {
  readonly groups: readonly GroupState[];
  readonly activeGroupId: string | null;
}

export type MakeId = () => string;
export type Side = "left" | "right";

export interface TabLocation {
  group: GroupState;
  groupIndex: number;
  tab: TabState;
  tabIndex: number;
}

/** A group never shrinks below this share of the width by resizing. */
export const MIN_GROUP_SIZE = 0.12;

export const randomId: MakeId = () => crypto.randomUUID().replaceAll("-", "").slice(0, 12);

export const emptyLayout: LayoutState = { groups: [], activeGroupId: null };

/** One group holding a tab for each pane id, the first one showing. */
export function createLayout(paneIds: readonly string[], makeId: MakeId = randomId): LayoutState {
  const tabs = paneIds.map((paneId) => ({ id: makeId(), paneId }));
  const first = tabs[0];
  if (!first) return emptyLayout;
  const group: GroupState = { id: makeId(), tabs, activeTabId: first.id, size: 1 };
  return { groups: [group], activeGroupId: group.id };
}

export function findTab(state: LayoutState, tabId: string): TabLocation | undefined {
  for (const [groupIndex, group] of state.groups.entries()) {
    const tabIndex = group.tabs.findIndex((t) => t.id === tabId);
    const tab = group.tabs[tabIndex];
    if (tab) return { group, groupIndex, tab, tabIndex };
  }
  return undefined;
}

/** A tab of the pane, preferring the active group's so focusing does not jump columns needlessly. */
export function findPane(state: LayoutState, paneId: string): TabLocation | undefined {
  const active = activeGroup(state);
  const ordered = active ? [active, ...state.groups.filter((g) => g !== active)] : state.groups;
  for (const group of ordered) {
    const tab = group.tabs.find((t) => t.paneId === paneId);
    if (tab) return findTab(state, tab.id);
  }
  return undefined;
}

export function activeGroup(state: LayoutState): GroupState | undefined {
  return state.groups.find((g) => g.id === state.activeGroupId) ?? state.groups[0];
}

export function activeTab(state: LayoutState): TabState | undefined {
  const group = activeGroup(state);
  return group?.tabs.find((t) => t.id === group.activeTabId);
}

export interface OpenOptions {
  /** Focus an open tab of the pane instead of adding another (false for `instance`-room panes). */
  reuse?: boolean;
  makeId?: MakeId;
}

/** Opens a pane after the active tab of the active group, or focuses it when already open. */
export function openPane(state: LayoutState, paneId: string, options: OpenOptions = {}): LayoutState {
  const { reuse = true, makeId = randomId } = options;
  if (reuse) {
    const open = findPane(state, paneId);
    if (open) return activateTab(state, open.tab.id);
  }
  const tab: TabState = { id: makeId(), paneId };
  const group = activeGroup(state);
  if (!group) {
    const created: GroupState = { id: makeId(), tabs: [tab], activeTabId: tab.id, size: 1 };
    return { groups: [created], activeGroupId: created.id };
  }
  const at = group.tabs.findIndex((t) => t.id === group.activeTabId);
  const tabs = [...group.tabs.slice(0, at + 1), tab, ...group.tabs.slice(at + 1)];
  return {
    groups: state.groups.map((g) => (g === group ? { ...g, tabs, activeTabId: tab.id } : g)),
    activeGroupId: group.id,
  };
}

export function activateTab(state: LayoutState, tabId: string): LayoutState {
  const at = findTab(state, tabId);
  if (!at) return state;
  if (at.group.activeTabId === tabId && state.activeGroupId === at.group.id) return state;
  return {
    groups: state.groups.map((g) => (g === at.group ? { ...g, activeTabId: tabId } : g)),
    activeGroupId: at.group.id,
  };
}

export function activateGroup(state: LayoutState, groupId: string): LayoutState {
  if (state.activeGroupId === groupId || !state.groups.some((g) => g.id === groupId)) return state;
  return { ...state, activeGroupId: groupId };
}

/** Closes a tab; the group's last tab takes the group with it and its width goes to the others. */
export function closeTab(state: LayoutState, tabId: string): LayoutState {
  const at = findTab(state, tabId);
  if (!at) return state;
  const rest = withoutTab(at.group, at.tabIndex);
  if (!rest) {
    const groups = normalizeSizes(state.groups.filter((g) => g !== at.group));
    const neighbour = groups[at.groupIndex - 1] ?? groups[at.groupIndex];
    const activeGroupId = state.activeGroupId === at.group.id ? (neighbour?.id ?? null) : state.activeGroupId;
    return { groups, activeGroupId };
  }
  return { ...state, groups: state.groups.map((g) => (g === at.group ? rest : g)) };
}

/** Closes every tab of a pane. */
export function closePane(state: LayoutState, paneId: string): LayoutState {
  let next = state;
  for (const group of state.groups) {
    for (const tab of group.tabs) if (tab.paneId === paneId) next = closeTab(next, tab.id);
  }
  return next;
}

/** Moves a tab into a new group beside its own, which gives up half its width. */
export function splitTab(
  state: LayoutState,
  tabId: string,
  side: Side,
  makeId: MakeId = randomId,
): LayoutState {
  const at = findTab(state, tabId);
  if (!at) return state;
  const rest = withoutTab(at.group, at.tabIndex);
  // Splitting a lone tab would only replace its group with an identical one.
  if (!rest) return state;
  const half = at.group.size / 2;
  const created: GroupState = { id: makeId(), tabs: [at.tab], activeTabId: at.tab.id, size: half };
  const kept: GroupState = { ...rest, size: half };
  const pair = side === "right" ? [kept, created] : [created, kept];
  const groups = [...state.groups.slice(0, at.groupIndex), ...pair, ...state.groups.slice(at.groupIndex + 1)];
  return { groups, activeGroupId: created.id };
}

/** Moves a tab into the neighbouring group on that side, or splits it off when there is none. */
export function moveTab(
  state: LayoutState,
  tabId: string,
  side: Side,
  makeId: MakeId = randomId,
): LayoutState {
  const at = findTab(state, tabId);
  if (!at) return state;
  const target = state.groups[at.groupIndex + (side === "left" ? -1 : 1)];
  if (!target) return splitTab(state, tabId, side, makeId);
  const rest = withoutTab(at.group, at.tabIndex);
  const moved: GroupState = { ...target, tabs: [...target.tabs, at.tab], activeTabId: at.tab.id };
  const groups = state.groups.flatMap((g) => {
    if (g === target) return [moved];
    if (g === at.group) return rest ? [rest] : [];
    return [g];
  });
  return { groups: rest ? groups : normalizeSizes(groups), activeGroupId: target.id };
}

/** Moves the divider right of group `leftIndex` by `delta` (a share of the whole width). */
export function resizeGroups(state: LayoutState, leftIndex: number, delta: number): LayoutState {
  const left = state.groups[leftIndex];
  const right = state.groups[leftIndex + 1];
  if (!left || !right || !Number.isFinite(delta)) return state;
  const pair = left.size + right.size;
  const min = Math.min(MIN_GROUP_SIZE, pair / 2);
  const nextLeft = Math.min(pair - min, Math.max(min, left.size + delta));
  if (nextLeft === left.size) return state;
  const groups = state.groups.map((g) => {
    if (g === left) return { ...g, size: nextLeft };
    if (g === right) return { ...g, size: pair - nextLeft };
    return g;
  });
  return { ...state, groups };
}

/** Scales sizes to sum to 1; equal shares when they are unusable. */
export function normalizeSizes(groups: readonly GroupState[]): GroupState[] {
  const total = groups.reduce((sum, g) => sum + g.size, 0);
  if (!(total > 0) || !Number.isFinite(total)) return groups.map((g) => ({ ...g, size: 1 / groups.length }));
  return groups.map((g) => (g.size / total === g.size ? g : { ...g, size: g.size / total }));
}

/** The group without one tab, showing its right neighbour (else left) if that tab was showing. */
function withoutTab(group: GroupState, tabIndex: number): GroupState | undefined {
  const tabs = group.tabs.filter((_, i) => i !== tabIndex);
  const next = tabs[tabIndex] ?? tabs[tabIndex - 1];
  if (!next) return undefined;
  const closedActive = group.tabs[tabIndex]?.id === group.activeTabId;
  return { ...group, tabs, activeTabId: closedActive ? next.id : group.activeTabId };
}
