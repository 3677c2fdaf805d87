import { describe, expect, test } from "bun:test";
import { fuzzyFilter, fuzzyMatch } from "../../client/palette/fuzzy.ts";

const panes = [
  { id: "about", title: "About" },
  { id: "scratch", title: "Scratch text" },
  { id: "settings", title: "Settings" },
  { id: "peers", title: "Peers" },
];
const titles = (query: string) => fuzzyFilter(panes, query, (p) => [p.title, p.id]).map((r) => r.item.title);

describe("the palette's fuzzy filter", () => {
  test("an empty query keeps every item in its order", () => {
    expect(titles("")).toEqual(["About", "Scratch text", "Settings", "Peers"]);
  });

  test("characters must appear in order, in any case", () => {
    expect(fuzzyMatch("STG", "Settings")?.indices).toEqual([0, 2, 6]);
    expect(fuzzyMatch("gts", "Settings")).toBeNull();
  });

  test("a prefix ranks above a scattered match", () => {
    expect(titles("set")[0]).toBe("Settings");
    expect(titles("st")).toEqual(["Settings", "Scratch text"]);
  });

  test("items that do not match are left out", () => {
    expect(titles("peer")).toEqual(["Peers"]);
    expect(titles("zzz")).toEqual([]);
  });

  test("an id matches too, ranked below a title match", () => {
    const byId = fuzzyFilter([{ id: "xyz", title: "Other" }], "xyz", (p) => [p.title, p.id]);
    expect(byId[0]?.field).toBe(1);
  });
});
