import type { PaneManifest } from "../../protocol/pane.ts";
import {
  activateGroup,
  activateTab,
  activeTab,
  closePane,
  closeTab,
  emptyLayout,
  type LayoutState,
  moveTab,
  openPane,
  resizeGroups,
  type Side,
  splitTab,
  type TabState,
} from "./layout-model.ts";
import { type KeyValueStorage, loadLayout, saveLayout } from "./layout-storage.ts";

export interface WorkspaceOptions {
  /** The registered pane with this id, if any; decides what a saved layout may keep. */
  lookup: (paneId: string) => PaneManifest | undefined;
  storage?: KeyValueStorage;
}

/**
 * The reactive workspace: the pure layout model held in a rune, saved to storage after every
 * change. Components read `layout` and call the methods; all the rules live in layout-model.ts.
 */
export class Workspace {
  layout = $state.raw<LayoutState>(emptyLayout);
  readonly activeTab: TabState | undefined = $derived(activeTab(this.layout));

  readonly #options: WorkspaceOptions;

  constructor(options: WorkspaceOptions) {
    this.#options = options;
    this.layout = loadLayout(options.storage, (id) => options.lookup(id) !== undefined);
  }

  isOpen(paneId: string): boolean {
    return this.layout.groups.some((g) => g.tabs.some((t) => t.paneId === paneId));
  }

  /**
   * Opens (or focuses) a pane; returns its tab, or undefined for an unknown pane. A pane whose
   * collab room is per instance gets a new tab every time, since each tab is its own room.
   */
  open(paneId: string): TabState | undefined {
    const pane = this.#options.lookup(paneId);
    if (!pane) return undefined;
    this.#apply(openPane(this.layout, paneId, { reuse: pane.collab?.room !== "instance" }));
    return this.activeTab;
  }

  activate(tabId: string): void {
    this.#apply(activateTab(this.layout, tabId));
  }

  activateGroup(groupId: string): void {
    this.#apply(activateGroup(this.layout, groupId));
  }

  close(tabId: string): void {
    this.#apply(closeTab(this.layout, tabId));
  }

  closePane(paneId: string): void {
    this.#apply(closePane(this.layout, paneId));
  }

  split(tabId: string, side: Side = "right"): void {
    this.#apply(splitTab(this.layout, tabId, side));
  }

  move(tabId: string, side: Side): void {
    this.#apply(moveTab(this.layout, tabId, side));
  }

  resize(leftIndex: number, delta: number): void {
    this.#apply(resizeGroups(this.layout, leftIndex, delta));
  }

  #apply(next: LayoutState): void {
    if (next === this.layout) return;
    this.layout = next;
    saveLayout(this.#options.storage, next);
  }
}
