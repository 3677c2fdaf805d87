/**
 * Builds the UI into `dist/ui` and, unless `--ui-only`, compiles `dist/weft`: one executable with
 * the UI and the database migrations embedded as assets (see server/resources.ts).
 *
 *   bun scripts/build.ts [--ui-only] [--dev] [--target bun-linux-x64|bun-darwin-arm64|…] [--outfile PATH]
 *
 * `--dev` leaves the code unminified, so a CPU profile of the binary names real functions
 * (`BUN_OPTIONS=--cpu-prof-md dist/weft …`).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SveltePlugin } from "bun-plugin-svelte";
import { RESOURCES } from "../server/resources.ts";
import { platformTarget } from "../server/version.ts";

const root = join(import.meta.dir, "..");
const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "ui-only": { type: "boolean" },
    target: { type: "string" },
    outfile: { type: "string" },
    dev: { type: "boolean" },
  },
});

function fail(what: string, logs: unknown[]): never {
  console.error(`build failed: ${what}`);
  for (const log of logs) console.error(log);
  process.exit(1);
}

async function buildUi(): Promise<void> {
  const started = performance.now();
  const outdir = join(root, RESOURCES.ui);
  rmSync(outdir, { recursive: true, force: true });
  const result = await Bun.build({
    entrypoints: [join(root, "client/index.html")],
    outdir,
    target: "browser",
    minify: !values.dev,
    naming: { chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]", entry: "[name].[ext]" },
    plugins: [SveltePlugin({ development: Boolean(values.dev) })],
  });
  if (!result.success) fail("UI", result.logs);
  const bytes = result.outputs.reduce((n, o) => n + o.size, 0);
  console.log(
    `ui: ${result.outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${(performance.now() - started).toFixed(0)} ms`,
  );
}

async function buildBinary(): Promise<void> {
  const started = performance.now();
  const outfile = values.outfile ?? join(root, "dist", process.platform === "win32" ? "weft.exe" : "weft");
  const result = await Bun.build({
    entrypoints: [join(root, "server/main.ts")],
    minify: !values.dev,
    // Parsed and compiled to bytecode at build time, so a start skips parsing the bundle.
    bytecode: true,
    format: "esm",
    // What `--version` names (server/version.ts): the target asked for, else this machine.
    define: { WEFT_BUILD_TARGET: JSON.stringify(values.target?.replace(/^bun-/, "") ?? platformTarget()) },
    compile: {
      outfile,
      ...(values.target ? { target: values.target as Bun.Build.CompileTarget } : {}),
      // Embedded under their last path segment, as resourcePath() expects.
      assets: [RESOURCES.ui, RESOURCES.migrations],
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  });
  if (!result.success) fail("binary", result.logs);
  const size = Bun.file(outfile).size;
  console.log(
    `binary: ${outfile} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${(performance.now() - started).toFixed(0)} ms`,
  );
}

process.chdir(root);
await buildUi();
if (!values["ui-only"]) await buildBinary();
