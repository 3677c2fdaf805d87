/**
 * `bun run release`: one executable per machine weft is downloaded for, each with the UI, the
 * migrations and that machine's WebRTC add-on inside, into `dist/release/`:
 *
 *   weft-<version>-linux-x64   weft-<version>-linux-arm64   weft-<version>-darwin-arm64
 *   weft-<version>-darwin-x64  weft-<version>-windows-x64.exe   SHA256SUMS
 *
 * All are built on this machine (Bun cross-compiles; it fetches each target's runtime from the
 * npm registry once). The add-ons come from the registry too (scripts/release-targets.ts); nothing
 * is fetched when the binaries run. Prints progress per target, then sizes and times.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { buildBinary, buildUi } from "./build.ts";
import { type Addon, artifactName, BuildError, fetchAddon, RELEASE_TARGETS } from "./release-targets.ts";

const root = join(import.meta.dir, "..");
const outDir = join(root, "dist", "release");

interface Built {
  file: string;
  size: number;
  ms: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function release(): Promise<void> {
  const started = performance.now();
  console.log(`release: weft ${pkg.version} for ${RELEASE_TARGETS.length} targets into dist/release/`);
  // Every add-on first, so a registry out of reach or a package without one stops the release
  // before anything is built or the last release's files are removed.
  const addons: Addon[] = [];
  for (const target of RELEASE_TARGETS) {
    const addon = await fetchAddon(target, root);
    console.log(
      `add-on for ${target.name}: ${addon.spec} (${addon.fetched ? "fetched" : "cached"}, integrity ok)`,
    );
    addons.push(addon);
  }
  // A fresh folder, so SHA256SUMS lists exactly what this run built and no older version lingers.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const ui = await buildUi();
  console.log(`ui: ${ui.files} files, ${(ui.bytes / 1024).toFixed(0)} KiB in ${ui.ms.toFixed(0)} ms`);

  const built: Built[] = [];
  for (const [i, target] of RELEASE_TARGETS.entries()) {
    const step = `[${i + 1}/${RELEASE_TARGETS.length}] ${target.name}`;
    const file = artifactName(pkg.version, target);
    console.log(`${step}: building ${file}`);
    const { size, ms, resigned } = await buildBinary({
      outfile: join(outDir, file),
      target: target.name,
      bunTarget: target.bunTarget,
      addon: addons[i]!.path,
      bytecode: target.bytecode,
    });
    const notes = [target.bytecode && "bytecode", resigned && "signed ad-hoc again"].filter(Boolean);
    console.log(`${step}: ${file} ${mib(size)} in ${secs(ms)}${notes.map((n) => `, ${n}`).join("")}`);
    built.push({ file, size, ms });
  }

  // The format `sha256sum -c SHA256SUMS` checks (two spaces, then the file name).
  const sums = built.map(async (b) => {
    const bytes = await Bun.file(join(outDir, b.file)).bytes();
    return `${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}  ${b.file}\n`;
  });
  writeFileSync(join(outDir, "SHA256SUMS"), (await Promise.all(sums)).join(""));

  console.log("\nfile                                  size       build");
  for (const b of built)
    console.log(`${b.file.padEnd(38)}${mib(b.size).padStart(9)}  ${secs(b.ms).padStart(6)}`);
  console.log(`SHA256SUMS: ${built.length} files; release done in ${secs(performance.now() - started)}`);
}

process.chdir(root);
try {
  await release();
} catch (err) {
  if (!(err instanceof BuildError)) throw err;
  console.error(`release failed: ${err.message}`);
  process.exit(1);
}
