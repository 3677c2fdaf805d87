import { realpathSync, statSync } from "node:fs";
import { isAbsolute, join, sep } from "node:path";

/**
 * Path rules for third-party panes, shared by the loader (checking `entry` at start) and the
 * `/plugins` route (checking every request), so both draw the folder's edge in the same place:
 * a file is inside its plugin's folder only if its real path, symlinks resolved, is.
 */

/** Why `entry` from a `pane.json` is not a plain relative path inside the pane's folder. */
export function entryPathProblem(entry: string): string | undefined {
  if (isAbsolute(entry) || entry.startsWith("/") || /^[A-Za-z]:/.test(entry)) {
    return `entry "${entry}" is an absolute path; it must be relative to the pane's folder`;
  }
  // Browsers read "\" as "/" in URLs, so it would name a different file than the one on disk.
  if (entry.includes("\\")) return `entry "${entry}" must use "/" between folders`;
  if (entry.includes("\0")) return `entry "${entry}" contains a NUL character`;
  if (entry.split("/").includes("..")) return `entry "${entry}" points outside the pane's folder`;
  return undefined;
}

/** The segments of a checked relative path; "." and empty segments say nothing and are dropped. */
export function entrySegments(entry: string): string[] {
  return entry.split("/").filter((s) => s !== "" && s !== ".");
}

/** One segment of a request path after decoding; anything that could change folder is refused. */
export function isPlainSegment(segment: string): boolean {
  return (
    segment !== "" &&
    segment !== "." &&
    segment !== ".." &&
    !segment.includes("/") &&
    !segment.includes("\\") &&
    !segment.includes("\0")
  );
}

export type InsideResult =
  | { ok: true; path: string }
  | { ok: false; why: "missing" | "outside" | "not-a-file" };

/**
 * Resolves `segments` under `root` (itself a real path). `outside` means the path exists but a
 * symlink on the way leads out of `root`; nothing outside is ever reported as a file.
 */
export function fileInside(root: string, segments: readonly string[]): InsideResult {
  let real: string;
  try {
    real = realpathSync(join(root, ...segments));
  } catch {
    return { ok: false, why: "missing" };
  }
  if (!real.startsWith(root + sep)) return { ok: false, why: "outside" };
  try {
    if (!statSync(real).isFile()) return { ok: false, why: "not-a-file" };
  } catch {
    return { ok: false, why: "missing" };
  }
  return { ok: true, path: real };
}
