import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** Removes `dir` and everything in it, quietly: a process still closing its files may race it. */
export function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Left for the system's temp cleaning; never a reason to fail a test.
  }
}

/**
 * Removes every folder `tempDir` made. Each test run makes hundreds, some holding a copy of the
 * 100 MB binary, so a machine that runs the suites all day would fill its disk; the test preload
 * calls this once the run is over.
 */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) removeQuietly(dir);
}

/** A fresh empty folder for one test, removed when the run is over. */
export function tempDir(prefix = "weft-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
