import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { StartupError } from "./errors.ts";

/** The per-user data dir of this platform, for when neither `--data-dir` nor `WEFT_DATA_DIR` is set. */
export function defaultDataDir(env: Record<string, string | undefined>, platform = process.platform): string {
  if (platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "weft");
  if (platform === "darwin") return join(homedir(), "Library", "Application Support", "weft");
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg !== "" ? xdg : join(homedir(), ".local", "share"), "weft");
}

/** The data dir's files, so no other module spells a file name. */
export interface DataDirPaths {
  root: string;
  identityKey: string;
  database: string;
  plugins: string;
  lock: string;
}

/**
 * Creates (if needed) and checks the data dir, then takes its lock so two nodes never share one
 * identity and database. Throws `StartupError` naming the problem.
 */
export function openDataDir(dir: string): { paths: DataDirPaths; release(): void } {
  const root = resolve(dir);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StartupError(`cannot create data dir ${root}: ${reason(err)}`);
  }
  if (!statSync(root).isDirectory()) throw new StartupError(`data dir ${root} is not a directory`);
  try {
    accessSync(root, constants.R_OK | constants.W_OK);
  } catch {
    throw new StartupError(`data dir ${root} is not writable`);
  }
  const paths: DataDirPaths = {
    root,
    identityKey: join(root, "identity.key"),
    database: join(root, "weft.db"),
    plugins: join(root, "plugins"),
    lock: join(root, "weft.lock"),
  };
  mkdirSync(paths.plugins, { recursive: true });
  takeLock(paths.lock, root);
  let released = false;
  return {
    paths,
    release() {
      if (released) return;
      released = true;
      heldLocks.delete(paths.lock);
      rmSync(paths.lock, { force: true });
    },
  };
}

/** Locks this process holds: a lock file with our own pid is stale unless it is in here. */
const heldLocks = new Set<string>();

function takeLock(lock: string, root: string): void {
  if (heldLocks.has(lock))
    throw new StartupError(`data dir ${root} is in use by another weft in this process`);
  heldLocks.add(lock);
  try {
    takeLockFile(lock, root);
  } catch (err) {
    heldLocks.delete(lock);
    throw err;
  }
}

function takeLockFile(lock: string, root: string): void {
  try {
    writeFileSync(lock, String(process.pid), { flag: "wx" });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new StartupError(`cannot write to data dir ${root}: ${reason(err)}`);
    }
  }
  const holder = Number.parseInt(readFileSync(lock, "utf8"), 10);
  if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
    throw new StartupError(`data dir ${root} is in use by another weft (pid ${holder})`);
  }
  // The holder died without cleaning up (a crash or kill -9), or was an earlier process that had
  // our pid (pid 1 in a restarted container): the lock is stale.
  writeFileSync(lock, String(process.pid));
}

/** Whether a process with this pid exists (one of another user counts: EPERM). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}
