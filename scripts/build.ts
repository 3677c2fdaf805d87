/**
 * Builds the UI into `dist/ui` and, unless `--ui-only`, compiles `dist/weft`: one executable with
 * the UI, the database migrations and the WebRTC add-on embedded (see server/resources.ts).
 *
 *   bun scripts/build.ts [--ui-only] [--dev] [--target linux-x64|darwin-arm64|…] [--outfile PATH]
 *
 * `--dev` leaves the code unminified, so a CPU profile of the binary names real functions
 * (`BUN_OPTIONS=--cpu-prof-md dist/weft …`). `--target` builds for another machine with that
 * machine's add-on, fetched as `bun run release` fetches it (scripts/release.ts builds them all).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SveltePlugin } from "bun-plugin-svelte";
import { DATACHANNEL_PACKAGES } from "../server/fabric/links/datachannel-native.ts";
import { RESOURCES } from "../server/resources.ts";
import { platformTarget } from "../server/version.ts";
import { adhocSignatureValid, signAdhoc } from "./macho-sign.ts";
import { BuildError, fetchAddon, releaseTarget } from "./release-targets.ts";

const root = join(import.meta.dir, "..");

/** What one compile needs: where it goes, and which machine it is for with that machine's add-on. */
export interface BinaryBuild {
  outfile: string;
  /** `os-arch` as server/version.ts spells it; printed by `--version`. */
  target: string;
  /** Bun's name for the target; absent for this machine. */
  bunTarget?: Bun.Build.CompileTarget;
  /** Path of the target's `node_datachannel.node`, embedded as its WebRTC library. */
  addon: string;
  /** Precompile the bundle to bytecode (see release-targets.ts for when a target does not). */
  bytecode: boolean;
  dev?: boolean;
}

/** Builds the UI into `dist/ui`, which the binary embeds; throws `BuildError` with Bun's messages. */
export async function buildUi(
  opts: { dev?: boolean } = {},
): Promise<{ files: number; bytes: number; ms: number }> {
  const started = performance.now();
  const outdir = join(root, RESOURCES.ui);
  rmSync(outdir, { recursive: true, force: true });
  const result = await bunBuild("UI", {
    entrypoints: [join(root, "client/index.html")],
    outdir,
    target: "browser",
    minify: !opts.dev,
    naming: { chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]", entry: "[name].[ext]" },
    plugins: [SveltePlugin({ development: Boolean(opts.dev) })],
  });
  // The loader inside a plugin's sandboxed frame: a classic script (an opaque-origin frame would
  // need CORS for a module) under a fixed name, which the frame page's policy allows by name.
  const frame = await bunBuild("plugin frame loader", {
    entrypoints: [join(root, "client/plugin-frame/plugin-frame.ts")],
    outdir,
    target: "browser",
    format: "iife",
    minify: !opts.dev,
    naming: { entry: "plugin-frame.[ext]" },
  });
  result.outputs.push(...frame.outputs);
  const bytes = result.outputs.reduce((n, o) => n + o.size, 0);
  return { files: result.outputs.length, bytes, ms: performance.now() - started };
}

/**
 * Compiles one executable from the built UI; throws `BuildError` naming the target. Run from the
 * repository root: the embedded asset folders are named relative to it. `resigned` says that a
 * macOS build's signature did not cover what Bun wrote and was made again (scripts/macho-sign.ts).
 */
export async function buildBinary(
  build: BinaryBuild,
): Promise<{ size: number; ms: number; resigned: boolean }> {
  const started = performance.now();
  await bunBuild(`binary for ${build.target}`, {
    entrypoints: [join(root, "server/main.ts")],
    minify: !build.dev,
    // Parsed and compiled to bytecode at build time, so a start skips parsing the bundle.
    bytecode: build.bytecode,
    format: "esm",
    // Build-time constants: what `--version` names, and the one add-on this target embeds
    // (server/version.ts, server/fabric/links/datachannel-native.ts).
    define: {
      WEFT_BUILD_TARGET: JSON.stringify(build.target),
      WEFT_DATACHANNEL_ADDON: JSON.stringify(build.addon),
    },
    compile: {
      outfile: build.outfile,
      ...(build.bunTarget ? { target: build.bunTarget } : {}),
      // Embedded under their last path segment, as resourcePath() expects.
      assets: [RESOURCES.ui, RESOURCES.migrations],
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  });
  let resigned = false;
  if (build.target.startsWith("darwin-")) {
    const bytes = new Uint8Array(readFileSync(build.outfile));
    if (!adhocSignatureValid(bytes)) {
      writeFileSync(build.outfile, signAdhoc(bytes, "weft"));
      resigned = true;
    }
  }
  return { size: Bun.file(build.outfile).size, ms: performance.now() - started, resigned };
}

async function bunBuild(what: string, config: Bun.BuildConfig): Promise<Bun.BuildOutput> {
  let result: Bun.BuildOutput;
  try {
    result = await Bun.build(config);
  } catch (err) {
    // Bun throws an AggregateError whose messages say what failed (a missing file, a download).
    const errors = err instanceof AggregateError ? err.errors : [err];
    throw new BuildError(
      `${what}: ${errors.map((e) => String(e).replace(/^\w*(Error|Message): /, "")).join("; ")}`,
    );
  }
  if (!result.success) throw new BuildError(`${what}: ${result.logs.map(String).join("; ")}`);
  return result;
}

/** The add-on npm installed for this machine, which a build for it embeds. */
function hostAddon(target: string): string {
  const pkg = DATACHANNEL_PACKAGES[target];
  if (!pkg) throw new BuildError(`weft has no WebRTC library for ${target}, so no build for it`);
  try {
    return Bun.resolveSync(`${pkg}/node_datachannel.node`, root);
  } catch {
    throw new BuildError(`${pkg} is not installed (npm installs it for this machine): run npm install`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      "ui-only": { type: "boolean" },
      target: { type: "string" },
      outfile: { type: "string" },
      dev: { type: "boolean" },
    },
  });
  const dev = Boolean(values.dev);
  const ui = await buildUi({ dev });
  console.log(`ui: ${ui.files} files, ${(ui.bytes / 1024).toFixed(0)} KiB in ${ui.ms.toFixed(0)} ms`);
  if (values["ui-only"]) return;

  const host = platformTarget();
  // Bun's own spelling (`bun-darwin-arm64`) is taken too, as this script took it before.
  const wanted = values.target?.replace(/^bun-/, "") ?? host;
  const cross = wanted === host ? undefined : releaseTarget(wanted);
  const exe = cross ? cross.exe : process.platform === "win32" ? ".exe" : "";
  const outfile = values.outfile ?? join(root, "dist", `weft${exe}`);
  const built = await buildBinary({
    outfile,
    target: wanted,
    ...(cross ? { bunTarget: cross.bunTarget } : {}),
    addon: cross ? (await fetchAddon(cross, root)).path : hostAddon(host),
    bytecode: cross ? cross.bytecode : true,
    dev,
  });
  console.log(
    `binary: ${outfile} (${(built.size / 1024 / 1024).toFixed(1)} MiB) in ${built.ms.toFixed(0)} ms`,
  );
}

if (import.meta.main) {
  process.chdir(root);
  try {
    await main();
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(`build failed: ${err.message}`);
    process.exit(1);
  }
}
