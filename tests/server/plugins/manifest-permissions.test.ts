import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { scanPlugins } from "../../../server/panes/plugin-loader.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { writePlugin } from "./plugin-fixtures.ts";

/** Scans one plugin whose pane.json has `permissions` set to `value` (left out when undefined). */
function judged(value: unknown) {
  const dir = join(tempDir(), "plugins");
  writePlugin(dir, "asker", value === undefined ? {} : { permissions: value });
  const [record] = scanPlugins(dir, { builtinIds: new Set(), version: "0.1.0" });
  if (!record) throw new Error("the scan found no plugin");
  return record;
}

describe("what a pane.json asks for", () => {
  test("a pane.json without permissions asks for none", () => {
    const r = judged(undefined);
    expect(r.error).toBeUndefined();
    expect(r.manifest?.permissions).toEqual([]);
  });

  test("known permissions, each once, are kept in the order written", () => {
    const r = judged(["notify", "peers:read"]);
    expect(r.error).toBeUndefined();
    expect(r.manifest?.permissions).toEqual(["notify", "peers:read"]);
  });

  test("an unknown permission refuses the plugin, naming the entry, what it says and what it may say", () => {
    expect(judged(["notify", "files:write"]).error).toBe(
      'bad pane.json: field "permissions.1": "files:write" is not one of "collab", "peers:read", "notify", "chat:send"',
    );
  });

  test("a permission listed twice refuses the plugin and names the repeated one", () => {
    expect(judged(["notify", "collab", "notify"]).error).toBe(
      'bad pane.json: field "permissions": lists a permission twice ("notify")',
    );
  });

  test("permissions that are not a list refuse the plugin with one reason, not two", () => {
    expect(judged("notify").error).toBe(
      'bad pane.json: field "permissions": Invalid input: expected array, received string',
    );
    expect(judged({ notify: true }).error).toBe(
      'bad pane.json: field "permissions": Invalid input: expected array, received object',
    );
  });

  test("a refused plugin carries no manifest, so it asks for nothing anyone could grant", () => {
    expect(judged(["bogus"]).manifest).toBeUndefined();
  });
});
