import { describe, expect, test } from "bun:test";
import {
  activeTab,
  closePane,
  closeTab,
  createLayout,
  emptyLayout,
  type LayoutState,
  MIN_GROUP_SIZE,
  moveTab,
  openPane,
  resizeGroups,
  splitTab,
} from "../../client/workspace/layout-model.ts";
import {
  type KeyValueStorage,
  LAYOUT_STORAGE_KEY,
  loadLayout,
  restoreLayout,
  saveLayout,
  serializeLayout,
} from "../../client/workspace/layout-storage.ts";

function counter() {
  let n = 0;
  return () => `id${++n}`;
}

const known = (id: string) => ["about", "settings", "scratch", "peers"].includes(id);

function memoryStorage(
  initial: Record<string, string> = {},
): KeyValueStorage & { data: Record<string, string> } {
  const data = { ...initial };
  return {
    data,
    getItem: (key) => data[key] ?? null,
    setItem: (key, value) => {
      data[key] = value;
    },
  };
}

const paneIds = (state: LayoutState) => state.groups.map((g) => g.tabs.map((t) => t.paneId));
const sizes = (state: LayoutState) => state.groups.map((g) => g.size);

describe("opening panes", () => {
  test("opening a pane in an empty workspace creates one group showing it", () => {
    const state = openPane(emptyLayout, "about", { makeId: counter() });
    expect(paneIds(state)).toEqual([["about"]]);
    expect(activeTab(state)?.paneId).toBe("about");
    expect(state.activeGroupId).toBe(state.groups[0]!.id);
    expect(sizes(state)).toEqual([1]);
  });

  test("a new pane opens right after the active tab and becomes active", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    state = openPane(state, "scratch", { makeId });
    expect(paneIds(state)).toEqual([["about", "scratch", "settings"]]);
    expect(activeTab(state)?.paneId).toBe("scratch");
  });

  test("opening a pane that is already open focuses it instead of adding a tab", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    state = splitTab(state, state.groups[0]!.tabs[1]!.id, "right", makeId);
    state = openPane(state, "scratch", { makeId });
    const before = paneIds(state);
    state = openPane(state, "about", { makeId });
    expect(paneIds(state)).toEqual(before);
    expect(activeTab(state)?.paneId).toBe("about");
    expect(state.activeGroupId).toBe(state.groups[0]!.id);
  });

  test("a pane opened without reuse gets a second tab of its own", () => {
    const makeId = counter();
    let state = createLayout(["scratch"], makeId);
    state = openPane(state, "scratch", { reuse: false, makeId });
    expect(paneIds(state)).toEqual([["scratch", "scratch"]]);
    expect(new Set(state.groups[0]!.tabs.map((t) => t.id)).size).toBe(2);
  });

  test("focusing the tab that is already active returns the very same state", () => {
    const state = createLayout(["about"], counter());
    expect(openPane(state, "about")).toBe(state);
  });
});

describe("closing tabs", () => {
  test("closing the active tab shows its right neighbour, or the left one at the end", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings", "scratch"], makeId);
    const [about, settings, scratch] = state.groups[0]!.tabs;
    state = openPane(state, "settings");
    state = closeTab(state, settings!.id);
    expect(activeTab(state)?.id).toBe(scratch!.id);
    state = closeTab(state, scratch!.id);
    expect(activeTab(state)?.id).toBe(about!.id);
  });

  test("closing the last tab of a group removes the group and gives its width back", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    const settings = state.groups[0]!.tabs[1]!;
    state = splitTab(state, settings.id, "right", makeId);
    expect(state.groups).toHaveLength(2);
    state = closeTab(state, settings.id);
    expect(paneIds(state)).toEqual([["about"]]);
    expect(sizes(state)).toEqual([1]);
    expect(state.activeGroupId).toBe(state.groups[0]!.id);
  });

  test("closing the only tab leaves an empty workspace", () => {
    let state = createLayout(["about"], counter());
    state = closeTab(state, state.groups[0]!.tabs[0]!.id);
    expect(state).toEqual({ groups: [], activeGroupId: null });
  });

  test("closing a pane closes every one of its tabs", () => {
    const makeId = counter();
    let state = createLayout(["scratch", "about"], makeId);
    state = openPane(state, "scratch", { reuse: false, makeId });
    state = closePane(state, "scratch");
    expect(paneIds(state)).toEqual([["about"]]);
  });

  test("closing an unknown tab changes nothing", () => {
    const state = createLayout(["about"], counter());
    expect(closeTab(state, "nope")).toBe(state);
  });
});

describe("splitting and moving", () => {
  test("split right moves the tab into a new group on the right that takes half the width", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    const settings = state.groups[0]!.tabs[1]!;
    state = splitTab(state, settings.id, "right", makeId);
    expect(paneIds(state)).toEqual([["about"], ["settings"]]);
    expect(sizes(state)).toEqual([0.5, 0.5]);
    expect(state.activeGroupId).toBe(state.groups[1]!.id);
    expect(activeTab(state)?.id).toBe(settings.id);
  });

  test("splitting a group's only tab changes nothing", () => {
    const state = createLayout(["about"], counter());
    expect(splitTab(state, state.groups[0]!.tabs[0]!.id, "right")).toBe(state);
  });

  test("moving a tab right puts it last in the neighbouring group and focuses it there", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings", "scratch"], makeId);
    const [, settings, scratch] = state.groups[0]!.tabs;
    state = splitTab(state, scratch!.id, "right", makeId);
    state = moveTab(state, settings!.id, "right", makeId);
    expect(paneIds(state)).toEqual([["about"], ["scratch", "settings"]]);
    expect(activeTab(state)?.id).toBe(settings!.id);
  });

  test("moving a group's last tab away removes the emptied group", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    const settings = state.groups[0]!.tabs[1]!;
    state = splitTab(state, settings.id, "right", makeId);
    state = moveTab(state, settings.id, "left", makeId);
    expect(paneIds(state)).toEqual([["about", "settings"]]);
    expect(sizes(state)).toEqual([1]);
  });

  test("moving a tab where there is no neighbouring group splits it off on that side", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    state = moveTab(state, state.groups[0]!.tabs[0]!.id, "left", makeId);
    expect(paneIds(state)).toEqual([["about"], ["settings"]]);
  });

  test("resizing moves width between the two groups beside a divider and stops at a minimum", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings"], makeId);
    state = splitTab(state, state.groups[0]!.tabs[1]!.id, "right", makeId);
    state = resizeGroups(state, 0, 0.2);
    expect(sizes(state)[0]).toBeCloseTo(0.7);
    expect(sizes(state)[1]).toBeCloseTo(0.3);
    state = resizeGroups(state, 0, 5);
    expect(sizes(state)[1]).toBeCloseTo(MIN_GROUP_SIZE);
    expect(resizeGroups(state, 1, 0.1)).toBe(state);
  });
});

describe("persisting", () => {
  test("a saved layout is restored with its groups, tabs, sizes and focus", () => {
    const makeId = counter();
    let state = createLayout(["about", "settings", "scratch"], makeId);
    state = splitTab(state, state.groups[0]!.tabs[2]!.id, "right", makeId);
    state = resizeGroups(state, 0, 0.1);
    state = openPane(state, "about");
    const storage = memoryStorage();
    expect(saveLayout(storage, state)).toBe(true);
    expect(storage.data[LAYOUT_STORAGE_KEY]).toBe(serializeLayout(state));
    expect(loadLayout(storage, known)).toEqual(state);
  });

  test("a first visit opens the About pane", () => {
    const state = loadLayout(memoryStorage(), known);
    expect(paneIds(state)).toEqual([["about"]]);
    expect(activeTab(state)?.paneId).toBe("about");
  });

  test("a first visit to a build with Get started shows it in front, with About behind it", () => {
    const withWelcome = (id: string) => id === "welcome" || known(id);
    const state = loadLayout(memoryStorage(), withWelcome);
    expect(paneIds(state)).toEqual([["welcome", "about"]]);
    expect(activeTab(state)?.paneId).toBe("welcome");
  });

  test("a saved layout is kept on a later visit, with no Get started added to it", () => {
    const withWelcome = (id: string) => id === "welcome" || known(id);
    const storage = memoryStorage();
    saveLayout(storage, createLayout(["settings"], counter()));
    const state = loadLayout(storage, withWelcome);
    expect(paneIds(state)).toEqual([["settings"]]);
    expect(activeTab(state)?.paneId).toBe("settings");
  });

  test("a workspace saved empty is restored empty, not replaced by the default", () => {
    expect(restoreLayout(serializeLayout(emptyLayout), known)).toEqual(emptyLayout);
  });

  test("corrupt storage falls back to the default layout", () => {
    for (const raw of [
      "{not json",
      "null",
      "[]",
      '{"version":1}',
      '{"version":1,"groups":"x","activeGroupId":null}',
    ]) {
      expect(paneIds(restoreLayout(raw, known))).toEqual([["about"]]);
    }
  });

  test("a layout of another version falls back to the default layout", () => {
    const raw = serializeLayout(createLayout(["settings"], counter())).replace('"version":1', '"version":2');
    expect(paneIds(restoreLayout(raw, known))).toEqual([["about"]]);
  });

  test("a layout whose ids clash falls back to the default layout", () => {
    const raw = JSON.stringify({
      version: 1,
      groups: [
        {
          id: "g",
          tabs: [
            { id: "t", paneId: "settings" },
            { id: "t", paneId: "scratch" },
          ],
          activeTabId: "t",
          size: 1,
        },
      ],
      activeGroupId: "g",
    });
    expect(paneIds(restoreLayout(raw, known))).toEqual([["about"]]);
  });

  test("tabs of unknown panes are dropped, with their group when it empties, and focus is repaired", () => {
    const raw = JSON.stringify({
      version: 1,
      groups: [
        {
          id: "g1",
          tabs: [
            { id: "t1", paneId: "settings" },
            { id: "t2", paneId: "gone" },
          ],
          activeTabId: "t2",
          size: 2,
        },
        { id: "g2", tabs: [{ id: "t3", paneId: "gone-too" }], activeTabId: "t3", size: 1 },
      ],
      activeGroupId: "g2",
    });
    const state = restoreLayout(raw, known);
    expect(paneIds(state)).toEqual([["settings"]]);
    expect(state.groups[0]!.activeTabId).toBe("t1");
    expect(state.activeGroupId).toBe("g1");
    expect(sizes(state)).toEqual([1]);
  });

  test("a layout that loses every tab to unknown panes falls back to the default layout", () => {
    const raw = JSON.stringify({
      version: 1,
      groups: [{ id: "g", tabs: [{ id: "t", paneId: "gone" }], activeTabId: "t", size: 1 }],
      activeGroupId: "g",
    });
    expect(paneIds(restoreLayout(raw, known))).toEqual([["about"]]);
  });

  test("storage that throws is survived: loading gives the default and saving reports false", () => {
    const broken: KeyValueStorage = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
    };
    expect(paneIds(loadLayout(broken, known))).toEqual([["about"]]);
    expect(saveLayout(broken, createLayout(["about"]))).toBe(false);
  });
});
