import type { Subprocess } from "bun";

/**
 * Network namespaces as the NAT tests use them: made, entered and removed with `ip netns`, named
 * after the process that made them so a run never touches another run's, and swept when the run
 * that made them died without removing them.
 */

/** Every namespace a test run makes is named `wft<pid>x<n>-<role>`. */
const PREFIX = "wft";
const OWNED = new RegExp(`^${PREFIX}(\\d+)x\\d+-`);
const IP = Bun.which("ip") ?? "/usr/sbin/ip";

let made = 0;

/** A fresh tag for one topology of this process: namespaces named with it belong to it alone. */
export function freshTag(): string {
  made += 1;
  return `${PREFIX}${process.pid}x${made}`;
}

/** Runs a command to completion; throws with its stderr unless it exited 0. Returns its stdout. */
export function sh(cmd: readonly string[]): string {
  const r = Bun.spawnSync([...cmd], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`${cmd.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  }
  return r.stdout.toString();
}

/** Like `sh`, for steps of a teardown that may find their object gone already. */
function quietly(cmd: readonly string[]): void {
  Bun.spawnSync([...cmd], { stdout: "ignore", stderr: "ignore" });
}

/** The argv that runs `cmd` inside namespace `ns`. */
export function inNs(ns: string, cmd: readonly string[]): string[] {
  return [IP, "netns", "exec", ns, ...cmd];
}

/** Runs `cmd` inside `ns` to completion (see `sh`). */
export function shIn(ns: string, cmd: readonly string[]): string {
  return sh(inNs(ns, cmd));
}

/**
 * Starts `cmd` inside `ns` as a child of this process. `ip netns exec` execs the command in place,
 * so the child's pid is the command's own and a signal to it reaches the command.
 */
export function spawnIn(
  ns: string,
  cmd: readonly string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Subprocess<"ignore", "pipe", "pipe"> {
  return Bun.spawn(inNs(ns, cmd), {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...opts.env },
  });
}

/** Makes namespace `ns` with its loopback up (a new namespace's `lo` is down, and 127.0.0.1 with it). */
export function addNamespace(ns: string): void {
  sh([IP, "netns", "add", ns]);
  sh([IP, "-n", ns, "link", "set", "lo", "up"]);
}

/** Every namespace on the machine, by name. */
export function listNamespaces(): string[] {
  return sh([IP, "netns", "list"])
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter(Boolean);
}

/** Pids of the processes inside `ns`. */
function pidsIn(ns: string): number[] {
  const r = Bun.spawnSync([IP, "netns", "pids", ns], { stdout: "pipe", stderr: "ignore" });
  return r.stdout.toString().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Kills every process inside `ns` and deletes it (its interfaces go with it, and a veth's other
 * end with them). Synchronous, so it also runs from an exit handler. A namespace is only freed
 * once nothing runs in it, so the kill is waited for, within a couple of seconds.
 */
export function removeNamespace(ns: string): void {
  const deadline = Date.now() + 2000;
  for (let pids = pidsIn(ns); pids.length > 0 && Date.now() < deadline; pids = pidsIn(ns)) {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone between the listing and the kill.
      }
    }
    Bun.sleepSync(20);
  }
  quietly([IP, "netns", "del", ns]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the namespaces of test runs that died without removing their own (a crash, a kill -9):
 * ours by prefix, whose owning pid is gone. A live run's are left alone, so two runs side by side
 * never undo each other. Returns the names removed.
 */
export function sweepStaleNamespaces(): string[] {
  const stale = listNamespaces().filter((ns) => {
    const owner = OWNED.exec(ns)?.[1];
    return owner !== undefined && Number(owner) !== process.pid && !alive(Number(owner));
  });
  for (const ns of stale) removeNamespace(ns);
  return stale;
}

/** The namespaces still on the machine that carry `tag` (none, after a clean teardown). */
export function namespacesOf(tag: string): string[] {
  return listNamespaces().filter((ns) => ns.startsWith(`${tag}-`));
}
