import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { builtinManifests } from "../../../plugins/builtin-manifests.ts";
import type { PaneListing } from "../../../protocol/pane.ts";
import { panesResponse } from "../../../protocol/rest.ts";
import { createHttpApp } from "../../../server/http/app.ts";
import { silentLogger } from "../../../server/log.ts";
import { engineProblem, isSemverRange } from "../../../server/panes/engine-range.ts";
import { PaneCatalog } from "../../../server/panes/pane-catalog.ts";
import { loadPlugins } from "../../../server/panes/plugin-loader.ts";
import { WEFT_VERSION } from "../../../server/version.ts";
import {
  fromLan,
  fromLoopback,
  localHeaders,
  realHttpContext,
  TEST_PORT,
} from "../../helpers/http-context.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { startTestNode } from "../../helpers/test-node.ts";

const SECRET = "TOP-SECRET-not-a-plugin-file";
const BUNDLE = "export default { mount() { return () => {}; } };";

function manifest(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `Pane ${id}`, version: "1.0.0", engine: ">=0.1.0 <1", entry: "index.js", ...overrides };
}

/** A plugin folder with a pane.json (an object, or raw text) and the files given. */
function plugin(
  dir: string,
  folder: string,
  json: Record<string, unknown> | string,
  files: Record<string, string> = {},
) {
  const root = join(dir, folder);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "pane.json"), typeof json === "string" ? json : JSON.stringify(json));
  for (const [name, text] of Object.entries({ "index.js": BUNDLE, ...files })) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

let pluginsDir: string;
let app: ReturnType<typeof createHttpApp>;
let listed: PaneListing[];

beforeAll(async () => {
  const dataDir = tempDir();
  pluginsDir = join(dataDir, "plugins");
  mkdirSync(pluginsDir);
  writeFileSync(join(pluginsDir, "secret.txt"), SECRET);
  writeFileSync(join(dataDir, "secret.txt"), SECRET);

  const good = plugin(pluginsDir, "good", manifest("good", { icon: "★", collab: { room: "shared" } }), {
    "style.css": "p { color: red }",
    "assets/data.json": '{"ok":true}',
  });
  symlinkSync(join(pluginsDir, "secret.txt"), join(good, "escape.js"));
  symlinkSync(pluginsDir, join(good, "escape-dir"));
  symlinkSync(join(good, "index.js"), join(good, "alias.js"));

  const { engine: _, ...noEngine } = manifest("no-engine");
  plugin(pluginsDir, "no-engine", noEngine);
  plugin(pluginsDir, "future", manifest("future", { engine: ">=9.0.0" }));
  plugin(pluginsDir, "any-text-engine", manifest("any-text-engine", { engine: "latest" }));
  writeFileSync(join(pluginsDir, "x.js"), SECRET);
  plugin(pluginsDir, "dotdot", manifest("dotdot", { entry: "../x.js" }));
  plugin(pluginsDir, "absolute", manifest("absolute", { entry: join(pluginsDir, "x.js") }));
  const linked = plugin(pluginsDir, "linked", manifest("linked", { entry: "bundle.js" }));
  symlinkSync(join(pluginsDir, "x.js"), join(linked, "bundle.js"));
  plugin(pluginsDir, "no-entry", manifest("no-entry", { entry: "dist/index.js" }));
  plugin(pluginsDir, "renamed", manifest("original"));
  plugin(pluginsDir, "about", manifest("about"));
  plugin(pluginsDir, "unknown-field", manifest("unknown-field", { script: "evil.js" }));
  plugin(pluginsDir, "not-json", "{ id: good");
  mkdirSync(join(pluginsDir, "no-manifest"));
  writeFileSync(join(pluginsDir, "no-manifest", "index.js"), BUNDLE);
  plugin(pluginsDir, "Bad Name", manifest("bad-name"));

  const ctx = await realHttpContext();
  ctx.panes = new PaneCatalog().addBuiltin(builtinManifests);
  loadPlugins(ctx.panes, pluginsDir, WEFT_VERSION, silentLogger);
  app = createHttpApp(ctx, { uiDir: "/nonexistent-ui" });
  const res = await app.request("/api/panes", { headers: localHeaders }, fromLoopback);
  listed = panesResponse.parse(await res.json()).panes;
});

const get = (path: string) => app.request(path, { headers: localHeaders }, fromLoopback);
const pluginRow = (id: string) => listed.find((p) => p.id === id && p.source === "plugin");
const reasonOf = (id: string) => pluginRow(id)?.error ?? "";

describe("the plugin scan", () => {
  test("a valid plugin is listed as a plugin pane with its name as title and its entry", () => {
    expect(pluginRow("good")).toEqual({
      id: "good",
      title: "Pane good",
      icon: "★",
      collab: { room: "shared" },
      source: "plugin",
      version: "1.0.0",
      entry: "index.js",
    });
    expect(listed.filter((p) => p.source === "builtin").map((p) => p.id)).toEqual(
      builtinManifests.map((m) => m.id),
    );
  });

  test("every refused plugin is listed with a reason that names the problem", () => {
    expect(reasonOf("no-engine")).toBe('bad pane.json: field "engine" is missing');
    expect(reasonOf("future")).toBe(`needs weft >=9.0.0, but this is weft ${WEFT_VERSION}`);
    expect(reasonOf("any-text-engine")).toContain('engine "latest" is not a semver range');
    expect(reasonOf("dotdot")).toBe('entry "../x.js" points outside the pane\'s folder');
    expect(reasonOf("absolute")).toContain("is an absolute path");
    expect(reasonOf("linked")).toBe('entry "bundle.js" is a link that leads outside the pane\'s folder');
    expect(reasonOf("no-entry")).toBe('entry "dist/index.js" does not exist');
    expect(reasonOf("renamed")).toBe('id "original" does not match its folder "renamed"');
    expect(reasonOf("about")).toBe('id "about" is taken by a built-in pane');
    expect(reasonOf("unknown-field")).toBe('bad pane.json: unknown field "script"');
    expect(reasonOf("not-json")).toStartWith("pane.json is not valid JSON");
    expect(reasonOf("no-manifest")).toBe("no pane.json");
    // A folder name that is no pane id is listed under a cleaned-up one, so the list stays valid.
    expect(reasonOf("bad-name")).toBe('id "bad-name" does not match its folder "Bad Name"');
  });

  test("a refused plugin carries no entry, and the built-in it collided with is untouched", () => {
    for (const p of listed.filter((row) => row.error !== undefined)) expect(p.entry).toBeUndefined();
    const about = listed.filter((p) => p.id === "about");
    expect(about.map((p) => p.source).sort()).toEqual(["builtin", "plugin"]);
    expect(about.find((p) => p.source === "builtin")?.error).toBeUndefined();
  });

  test("loose files and dot folders in the plugins folder are not panes", () => {
    expect(listed.some((p) => p.id.startsWith("secret") || p.id.startsWith("x-js"))).toBe(false);
  });

  test("engine ranges are checked against the semver grammar before they are satisfied", () => {
    for (const ok of [">=0.1.0 <1", "^0.1", "~0.1.0", "0.x", "*", ">= 0.1.0", "0.0.1 - 0.2", "^0.1 || ^1"]) {
      expect(isSemverRange(ok)).toBe(true);
    }
    for (const bad of ["latest", "abc def", "", " ", ">=0.1.0 <", "0.1.0 ||", "=>1"]) {
      expect(isSemverRange(bad)).toBe(false);
    }
    expect(engineProblem(">=0.1.0 <1", "0.1.0")).toBeUndefined();
    expect(engineProblem("^1", "0.1.0")).toBe("needs weft ^1, but this is weft 0.1.0");
  });
});

describe("serving plugin files", () => {
  test("the bundle and its sibling files are served with their content types", async () => {
    const js = await get("/plugins/good/index.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toStartWith("text/javascript");
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await js.text()).toBe(BUNDLE);
    expect((await get("/plugins/good/style.css")).headers.get("content-type")).toStartWith("text/css");
    const data = await get("/plugins/good/assets/data.json");
    expect(data.headers.get("content-type")).toStartWith("application/json");
    expect(await data.json()).toEqual({ ok: true });
    // A link that stays inside the folder is fine.
    expect(await (await get("/plugins/good/alias.js")).text()).toBe(BUNDLE);
  });

  test("no file of a refused plugin is ever served", async () => {
    for (const id of [
      "no-engine",
      "future",
      "dotdot",
      "absolute",
      "linked",
      "renamed",
      "about",
      "not-json",
      "no-manifest",
    ]) {
      for (const file of ["index.js", "pane.json", "bundle.js"]) {
        const res = await get(`/plugins/${id}/${file}`);
        expect(res.status).toBe(404);
        expect(await res.text()).not.toContain("mount");
      }
    }
  });

  test("missing files, folders and unknown plugins are 404", async () => {
    for (const path of [
      "/plugins/good/nope.js",
      "/plugins/good/assets",
      "/plugins/good/",
      "/plugins/good",
      "/plugins/",
      "/plugins/ghost/index.js",
    ]) {
      expect((await get(path)).status).toBe(404);
    }
  });

  test("directory traversal out of a plugin folder is refused, encoded or not", async () => {
    const attempts = [
      "/plugins/good/..%2f..%2fsecret.txt",
      "/plugins/good/..%2Fsecret.txt",
      "/plugins/good/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/plugins/good/%2E%2E%2Fx.js",
      "/plugins/good/..%5csecret.txt",
      "/plugins/good/%2e%2e%5c%2e%2e%5csecret.txt",
      "/plugins/good/%252e%252e%252fsecret.txt",
      "/plugins/good/index.js%00.css",
      "/plugins/good/%E0%A4%A",
      // Dot segments are resolved by the URL parser first: these ask for /plugins/secret.txt and
      // /plugins/dotdot/index.js, which are not files of a usable plugin.
      "/plugins/good/%2e%2e/secret.txt",
      "/plugins/good/../x.js",
      "/plugins/good/%2e%2e/dotdot/index.js",
      "/plugins/%2e%2e/plugins/secret.txt",
      // Links inside the folder that lead out of it.
      "/plugins/good/escape.js",
      "/plugins/good/escape-dir/secret.txt",
      "/plugins/good/escape-dir/no-engine/index.js",
    ];
    for (const path of attempts) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(await res.text()).not.toContain(SECRET);
    }
  });

  test("dot segments that climb above /plugins leave it: the request is for another path", async () => {
    // The URL parser turns these into /secret.txt; the UI answers that path, never with the file.
    for (const path of ["/plugins/good/../../secret.txt", "/plugins/good/%2e%2e/%2e%2e/secret.txt"]) {
      const res = await get(path);
      const same = await get("/secret.txt");
      expect(res.status).toBe(same.status);
      expect(await res.text()).not.toContain(SECRET);
    }
  });

  test("plugin files sit behind the local-surface guard", async () => {
    const lan = await app.request(
      "/plugins/good/index.js",
      { headers: { host: `192.168.1.2:${TEST_PORT}` } },
      fromLan,
    );
    expect(lan.status).toBe(403);
    expect(await lan.text()).not.toContain("mount");
    const rebinding = await app.request(
      "/plugins/good/index.js",
      { headers: { host: "evil.example" } },
      fromLoopback,
    );
    expect(rebinding.status).toBe(403);
  });
});

/** Sends `target` exactly as written, so no client-side URL parser tidies it first. */
async function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  const { promise, resolve } = Promise.withResolvers<string>();
  let text = "";
  await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(s) {
        s.write(`GET ${target} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
      },
      data(_s, chunk) {
        text += new TextDecoder().decode(chunk);
      },
      close() {
        resolve(text);
      },
    },
  });
  const response = await promise;
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(response)?.[1]), body: response };
}

describe("a live node with plugins in its data dir", () => {
  test("lists them at start and serves only the usable one's files, whatever the request line says", async () => {
    const dataDir = join(tempDir(), "data");
    const plugins = join(dataDir, "plugins");
    plugin(plugins, "good", manifest("good"));
    plugin(plugins, "future", manifest("future", { engine: ">=9" }));
    writeFileSync(join(plugins, "secret.txt"), SECRET);
    const node = await startTestNode({ dataDir });
    try {
      const res = await fetch(`http://localhost:${node.port}/api/panes`);
      const panes = panesResponse.parse(await res.json()).panes;
      expect(panes.find((p) => p.id === "good")?.error).toBeUndefined();
      expect(panes.find((p) => p.id === "future")?.error).toContain(">=9");

      expect((await rawGet(node.port, "/plugins/good/index.js")).status).toBe(200);
      const inside = [
        "/plugins/good/../secret.txt",
        "/plugins/good/%2e%2e/secret.txt",
        "/plugins/good/..%2fsecret.txt",
        "/plugins/good/%2e%2e%2fsecret.txt",
        "/plugins/future/index.js",
      ];
      for (const target of inside) {
        const { status, body } = await rawGet(node.port, target);
        expect({ target, status }).toEqual({ target, status: 404 });
        expect(body).not.toContain(SECRET);
      }
      // Climbing above /plugins, the server's URL parser makes these plain UI paths (/identity.key).
      for (const target of ["/plugins/good/../../identity.key", "/plugins/good/%2e%2e/%2e%2e/identity.key"]) {
        expect((await rawGet(node.port, target)).body).not.toContain("PRIVATE KEY");
      }
    } finally {
      await node.stop();
    }
  });
});
