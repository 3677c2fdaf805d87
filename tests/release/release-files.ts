import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { tempDir } from "../helpers/temp-dir.ts";
import type { Format } from "./executable-format.ts";

/** What `bun run release` leaves in dist/release/, which these tests check (they build nothing). */
export const repo = join(import.meta.dir, "..", "..");
export const releaseDir = join(repo, "dist", "release");
export const version = pkg.version;

/**
 * What each download must be, written out here rather than taken from the release script, so a
 * wrong entry there fails these tests: the file a person picks, and what its loader will check.
 */
export const EXPECTED: ReadonlyArray<{ target: string; file: string; format: Format; cpu: string }> = [
  { target: "linux-x64", file: `weft-${version}-linux-x64`, format: "ELF", cpu: "x86-64" },
  { target: "linux-arm64", file: `weft-${version}-linux-arm64`, format: "ELF", cpu: "arm64" },
  { target: "darwin-arm64", file: `weft-${version}-darwin-arm64`, format: "Mach-O", cpu: "arm64" },
  { target: "darwin-x64", file: `weft-${version}-darwin-x64`, format: "Mach-O", cpu: "x86-64" },
  { target: "windows-x64", file: `weft-${version}-windows-x64.exe`, format: "PE", cpu: "x86-64" },
];

/** Path of one release file; throws (failing the test, never skipping it) when it was not built. */
export function artifact(file: string): string {
  const path = join(releaseDir, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run bun run release first`);
  return path;
}

/** A copy of a release file alone in an empty folder, as a person who downloaded it has it. */
export function downloaded(file: string): { dir: string; bin: string } {
  const dir = tempDir("weft-release-");
  const bin = join(dir, file);
  copyFileSync(artifact(file), bin);
  // A browser saves a download without the execute bit; the README says to add it, as here.
  Bun.spawnSync(["chmod", "755", bin]);
  return { dir, bin };
}

/**
 * How to run an arm64 Linux program on this machine: Debian's qemu-aarch64 (package qemu-user)
 * with the arm64 C library (libc6-arm64-cross) as its root; or what is missing when either is not
 * installed.
 */
export function qemuAarch64(): { prefix: string[] } | { missing: string } {
  const qemu = Bun.which("qemu-aarch64") ?? Bun.which("qemu-aarch64-static");
  const sysroot = "/usr/aarch64-linux-gnu";
  if (!qemu) return { missing: "qemu-aarch64 is not installed (apt-get install -y qemu-user)" };
  if (!existsSync(join(sysroot, "lib", "ld-linux-aarch64.so.1"))) {
    return { missing: `no arm64 C library in ${sysroot} (apt-get install -y libc6-arm64-cross)` };
  }
  return { prefix: [qemu, "-L", sysroot] };
}
