import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHttpApp } from "../../../server/http/app.ts";
import { silentLogger } from "../../../server/log.ts";
import { loadPlugins } from "../../../server/panes/plugin-loader.ts";
import { WEFT_VERSION } from "../../../server/version.ts";
import { fromLoopback, realHttpContext, sameOriginHeaders } from "../../helpers/http-context.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { tempUiDir } from "../../helpers/test-node.ts";

export const BUNDLE = "export default { mount() { return () => {}; } };";

/** A valid `pane.json` for `id`, with `overrides` on top. */
export function manifest(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `Pane ${id}`, version: "1.0.0", engine: ">=0.1.0 <1", entry: "index.js", ...overrides };
}

/** Writes (or rewrites) a plugin folder: its `pane.json`, `index.js` and the files given. */
export function writePlugin(
  pluginsDir: string,
  id: string,
  overrides: Record<string, unknown> = {},
  files: Record<string, string> = {},
): string {
  const root = join(pluginsDir, id);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "pane.json"), JSON.stringify(manifest(id, overrides)));
  for (const [name, text] of Object.entries({ "index.js": BUNDLE, ...files })) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

/**
 * The node's HTTP app over real parts (SQLite, every feature), with the plugins `setup` writes
 * into a fresh plugins folder loaded into its catalog, and a small built UI of its own.
 */
export async function pluginApp(setup: (pluginsDir: string) => void) {
  const pluginsDir = join(tempDir(), "plugins");
  mkdirSync(pluginsDir, { recursive: true });
  setup(pluginsDir);
  const ctx = await realHttpContext();
  loadPlugins(ctx.panes, pluginsDir, WEFT_VERSION, silentLogger);
  const uiDir = tempUiDir();
  const app = createHttpApp(ctx, { routes: ctx.routes, uiDir });
  /** A same-origin request from this machine, its JSON body encoded. */
  const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
    const res = await app.request(
      path,
      { method, headers: sameOriginHeaders, body: body === undefined ? undefined : JSON.stringify(body) },
      fromLoopback,
    );
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  };
  return { ctx, app, pluginsDir, uiDir, call };
}
