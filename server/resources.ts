import { basename, join } from "node:path";

/**
 * Whether this code runs inside the compiled `dist/weft`: Bun bundles every module under one
 * virtual root there (`/$bunfs/root` on Unix, `B:\~BUN\root` on Windows).
 */
export const isCompiled = import.meta.dir.includes("$bunfs") || import.meta.dir.includes("~BUN");

/**
 * Path of a folder the build embeds (`scripts/build.ts` lists them as `assets`), readable with
 * `node:fs` and `Bun.file` in both the compiled binary and a source checkout. Bun embeds an asset
 * folder under its last path segment, so those must be unique.
 */
export function resourcePath(relative: string): string {
  return isCompiled ? join(import.meta.dir, basename(relative)) : join(import.meta.dir, "..", relative);
}

/** Resources the build embeds, by their repository-relative paths. */
export const RESOURCES = {
  migrations: "server/db/migrations",
  ui: "dist/ui",
} as const;
