import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  loadPluginPane,
  onPluginFailure,
  pluginHost,
  pluginOf,
} from "../../client/workspace/plugin-runtime.ts";
import { isPluginPane } from "../../plugins/sdk/plugin-pane.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { fakeHost } from "../plugins/sdk/fake-host.ts";

const ORIGIN = "http://localhost:7420";

beforeAll(() => {
  // The runtime listens for window errors; Bun has no window, an EventTarget stands in.
  (globalThis as { window?: unknown }).window ??= new EventTarget();
});

describe("tracing an error to its plugin", () => {
  test("by the bundle's URL or any frame of its stack", () => {
    expect(pluginOf(`${ORIGIN}/plugins/shared-counter/index.js`, ORIGIN)).toBe("shared-counter");
    expect(pluginOf(`${ORIGIN}/plugins/late/index.js?attempt=2`, ORIGIN)).toBe("late");
    const stack = `Error: boom\n    at f (${ORIGIN}/index-abc.js:1:2)\n    at g (${ORIGIN}/plugins/chk/a/b.js:3:4)`;
    expect(pluginOf(stack, ORIGIN)).toBe("chk");
  });

  test("not for the shell's own code, another origin, or nothing", () => {
    expect(pluginOf(`${ORIGIN}/index-abc.js`, ORIGIN)).toBeUndefined();
    expect(pluginOf("http://evil.example/plugins/x/index.js", ORIGIN)).toBeUndefined();
    expect(pluginOf(undefined, ORIGIN)).toBeUndefined();
  });
});

describe("loading a bundle", () => {
  test("a bundle whose default export has mount is a pane, imported once", async () => {
    const file = join(tempDir(), "good.js");
    writeFileSync(file, "export default { mount() { return () => {}; } };");
    const plugin = { id: "good-one", title: "Good", version: "1.0.0", url: file };
    const first = loadPluginPane(plugin);
    expect(loadPluginPane(plugin)).toBe(first);
    expect(isPluginPane(await first)).toBe(true);
  });

  test("a bundle without mount is refused, and a retry imports it afresh", async () => {
    const file = join(tempDir(), "fixed-later.js");
    writeFileSync(file, "export default { render() {} };");
    const plugin = { id: "fixed-later", title: "Fixed later", version: "1.0.0", url: file };
    await expect(loadPluginPane(plugin)).rejects.toThrow("does not export a pane");
    writeFileSync(file, "export default { mount() { return () => {}; } };");
    expect(isPluginPane(await loadPluginPane(plugin))).toBe(true);
  });
});

describe("the host a plugin is given", () => {
  test("a throw in a plugin's listener goes to its frames, not to the shell code that called it", () => {
    const fake = fakeHost();
    const host = pluginHost("thrower", fake.host);
    expect(pluginHost("thrower", fake.host)).toBe(host);
    const seen: unknown[] = [];
    const off = onPluginFailure("thrower", (error) => seen.push(error));
    let heard = false;
    host.subscribe("collab", () => {
      throw new Error("listener failed");
    });
    fake.host.subscribe("collab", () => {
      heard = true;
    });
    expect(() => fake.push("collab", { event: "state", data: {} })).not.toThrow();
    expect(heard).toBe(true);
    expect((seen[0] as Error).message).toBe("listener failed");
    off();
  });
});
