/**
 * Builds the example third-party panes in `plugins/examples/<id>/` the way a pane author would:
 * each as one ESM bundle of its own (Svelte, the SDK and Yjs bundled in, nothing shared with the
 * weft that loads it), written to `dist/examples/<id>/` next to a copy of its `pane.json`. Copy
 * that folder into `<data-dir>/plugins/` to install it.
 *
 *   bun scripts/build-example.ts [id…]      (no id: every example)
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { SveltePlugin } from "bun-plugin-svelte";
import { pluginManifest } from "../protocol/pane.ts";

const root = join(import.meta.dir, "..");
const examples = join(root, "plugins", "examples");

function fail(message: string, logs: unknown[] = []): never {
  console.error(`build-example failed: ${message}`);
  for (const log of logs) console.error(log);
  process.exit(1);
}

async function buildExample(id: string): Promise<void> {
  const started = performance.now();
  const source = join(examples, id);
  const parsed = pluginManifest.safeParse(JSON.parse(readFileSync(join(source, "pane.json"), "utf8")));
  if (!parsed.success) fail(`${id}/pane.json: ${parsed.error.message}`);
  const manifest = parsed.data;
  if (manifest.id !== id) fail(`${id}/pane.json has id "${manifest.id}"`);
  if (!manifest.entry.endsWith(".js")) fail(`${id}: entry must name the built .js bundle`);

  const outdir = join(root, "dist", "examples", id);
  rmSync(outdir, { recursive: true, force: true });
  let result: Bun.BuildOutput;
  try {
    result = await Bun.build({
      entrypoints: [join(source, "index.ts")],
      outdir,
      target: "browser",
      format: "esm",
      minify: true,
      // "[ext]" so a stylesheet split off the entry gets its own name (and is refused below).
      naming: {
        entry: manifest.entry.replace(/\.js$/, ".[ext]"),
        chunk: "[name]-[hash].[ext]",
        asset: "[name]-[hash].[ext]",
      },
      plugins: [SveltePlugin({ development: false })],
    });
  } catch (err) {
    fail(id, [err]);
  }
  if (!result.success) fail(id, result.logs);
  // The host imports the entry and nothing else: a stylesheet beside it would never be loaded.
  const css = result.outputs.filter((o) => o.path.endsWith(".css"));
  if (css.length > 0) {
    fail(
      `${id}: component styles went to ${basename(css[0]!.path)}, which the host never loads; give each ` +
        'styled component <svelte:options css="injected" /> (the SDK\'s own components already inject theirs)',
    );
  }
  copyFileSync(join(source, "pane.json"), join(outdir, "pane.json"));
  const bytes = result.outputs.reduce((n, o) => n + o.size, 0);
  console.log(
    `${id}: ${join("dist", "examples", id)} (${(bytes / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`,
  );
}

const asked = Bun.argv.slice(2);
const ids =
  asked.length > 0 ? asked : readdirSync(examples).filter((d) => existsSync(join(examples, d, "pane.json")));
if (ids.length === 0) fail("no examples found");
for (const id of ids) await buildExample(id);
