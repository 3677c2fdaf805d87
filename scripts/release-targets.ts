/**
 * The machines weft is released for, and where each one's WebRTC add-on comes from: the platform
 * package of node-datachannel that package-lock.json records, fetched from the npm registry at build
 * time only (npm installs only this machine's), checked against the lock's integrity, and cached in
 * node_modules/.cache so a second release needs no network.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DATACHANNEL_PACKAGES } from "../server/fabric/links/datachannel-native.ts";

/** A build or release step that cannot go on; its message is the one line printed. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

export interface ReleaseTarget {
  /** `os-arch` as server/version.ts spells it: in the file name and in `--version`. */
  name: string;
  bunTarget: Bun.Build.CompileTarget;
  exe: "" | ".exe";
  /**
   * Whether the bundle is precompiled to bytecode. Only for Linux, where the artifact is run here
   * (x64 natively, arm64 under qemu): bytecode made by this machine's Bun for another OS has
   * crashed on launch there (oven-sh/bun#18416), and macOS and Windows cannot be run here to show
   * it does not; without it they parse the bundle at start, the same code either way.
   */
  bytecode: boolean;
}

/**
 * Every release target. Windows keeps its console window (no `compile.windows.hideConsole`): it is
 * where weft says where it listens and logs, and closing it is how a person stops weft, since a
 * hidden one would leave no log, no visible error (a second start on a held data dir) and no way
 * to quit but the Task Manager. The README says what a double-click does on each system.
 */
export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", exe: "", bytecode: true },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", exe: "", bytecode: true },
  { name: "darwin-arm64", bunTarget: "bun-darwin-arm64", exe: "", bytecode: false },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64", exe: "", bytecode: false },
  { name: "windows-x64", bunTarget: "bun-windows-x64", exe: ".exe", bytecode: false },
];

/** The target named `name` (`darwin-arm64`), or a `BuildError` listing the ones there are. */
export function releaseTarget(name: string): ReleaseTarget {
  const target = RELEASE_TARGETS.find((t) => t.name === name);
  if (!target) {
    throw new BuildError(`no target ${name}; there are ${RELEASE_TARGETS.map((t) => t.name).join(", ")}`);
  }
  return target;
}

/** The release file for a target: `weft-0.1.0-darwin-arm64`, `weft-0.1.0-windows-x64.exe`. */
export function artifactName(version: string, target: ReleaseTarget): string {
  return `weft-${version}-${target.name}${target.exe}`;
}

/** Where fetched add-on tarballs and their unpacked `.node` files are kept between releases. */
export function addonCacheDir(root: string): string {
  return join(root, "node_modules", ".cache", "weft-addons");
}

export interface Addon {
  /** The unpacked `node_datachannel.node`, from a tarball that matched the lock's integrity. */
  path: string;
  spec: string;
  /** Whether the tarball came from the registry this time (else from the cache). */
  fetched: boolean;
}

/**
 * The target's add-on, fetched with `npm pack` unless the cached tarball still matches the
 * integrity package-lock.json records. Throws `BuildError` saying what is missing.
 */
export async function fetchAddon(target: ReleaseTarget, root: string): Promise<Addon> {
  const pkg = DATACHANNEL_PACKAGES[target.name];
  if (!pkg) throw new BuildError(`weft has no WebRTC library for ${target.name}`);
  const { version, integrity } = lockedPackage(root, pkg);
  const spec = `${pkg}@${version}`;
  const dir = addonCacheDir(root);
  mkdirSync(dir, { recursive: true });
  // npm pack names the tarball this way: scope without "@", "/" as "-".
  const tarball = join(dir, `${pkg.replace(/^@/, "").replace("/", "-")}-${version}.tgz`);
  let fetched = false;
  if (!existsSync(tarball) || sri(readFileSync(tarball)) !== integrity) {
    await npmPack(spec, dir);
    fetched = true;
  }
  const bytes = readFileSync(tarball);
  if (sri(bytes) !== integrity) {
    rmSync(tarball, { force: true });
    throw new BuildError(`${spec} from the registry does not match the integrity in package-lock.json`);
  }
  const addon = (await new Bun.Archive(bytes).files()).get("package/node_datachannel.node");
  if (!addon) throw new BuildError(`${spec} has no node_datachannel.node in its tarball`);
  const path = join(dir, `${target.name}-${version}`, "node_datachannel.node");
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, new Uint8Array(await addon.arrayBuffer()));
  return { path, spec, fetched };
}

/** The version and integrity the lock file pins for `pkg`, which must match node-datachannel's. */
function lockedPackage(root: string, pkg: string): { version: string; integrity: string } {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; integrity?: string }>;
  };
  const entry = lock.packages[`node_modules/${pkg}`];
  const main = lock.packages["node_modules/node-datachannel"];
  if (!entry?.version || !entry.integrity) {
    throw new BuildError(`package-lock.json does not record ${pkg}: run npm install`);
  }
  if (entry.version !== main?.version) {
    throw new BuildError(
      `package-lock.json has ${pkg}@${entry.version} for node-datachannel@${main?.version}`,
    );
  }
  return { version: entry.version, integrity: entry.integrity };
}

/** Subresource-integrity form of a tarball's hash, as npm records it. */
function sri(bytes: Uint8Array): string {
  return `sha512-${new Bun.CryptoHasher("sha512").update(bytes).digest("base64")}`;
}

async function npmPack(spec: string, dir: string): Promise<void> {
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    // One retry and a 30 s timeout, so an unreachable registry fails in seconds, not minutes.
    proc = Bun.spawn(
      [
        "npm",
        "pack",
        spec,
        "--json",
        "--pack-destination",
        dir,
        "--fetch-retries=1",
        "--fetch-timeout=30000",
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
  } catch {
    throw new BuildError(`npm is not on PATH; it fetches ${spec} from the registry`);
  }
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code === 0) return;
  const lines = stderr.split("\n").map((l) =>
    l
      .replace(/^npm (error|ERR!) ?/, "")
      .replace(/^\w*Error: /, "")
      .trim(),
  );
  // npm's "request to <url> failed, reason: …" names the registry and why; else its first line.
  const reason =
    lines.find((l) => l.startsWith("request to")) ??
    lines.find((l) => l !== "" && !/^(code|errno|syscall|A complete log|at )/.test(l)) ??
    `npm pack exited with ${code}`;
  throw new BuildError(`could not fetch ${spec} from the npm registry: ${reason}`);
}
