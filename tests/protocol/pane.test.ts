import { describe, expect, test } from "bun:test";
import { builtinManifests } from "../../plugins/builtin-manifests.ts";
import { paneManifest } from "../../protocol/pane.ts";

describe("pane manifest", () => {
  test("every built-in manifest is valid", () => {
    for (const m of builtinManifests) expect(paneManifest.safeParse(m).success).toBe(true);
  });

  test("a bad id, a missing title, an unknown field or a bad collab room is refused", () => {
    const ok = { id: "scratch", title: "Scratch" };
    expect(paneManifest.safeParse(ok).success).toBe(true);
    for (const bad of [
      { ...ok, id: "Scratch" },
      { ...ok, id: "../x" },
      { id: "scratch" },
      { ...ok, script: "evil.js" },
      { ...ok, collab: { room: "global" } },
    ]) {
      expect(paneManifest.safeParse(bad).success).toBe(false);
    }
  });
});
