import { copyFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./browser.ts";
import { tempDir } from "./temp-dir.ts";

const repo = join(import.meta.dir, "..", "..");
let built: string | undefined;

/**
 * Path of a compiled `dist/weft`: `WEFT_BINARY` when CI built it already, else built once per test
 * process, so a test never runs a stale binary.
 */
export function weftBinary(): string {
  if (process.env.WEFT_BINARY) return process.env.WEFT_BINARY;
  if (built) return built;
  const result = Bun.spawnSync([process.execPath, join(repo, "scripts/build.ts")], {
    cwd: repo,
    stderr: "pipe",
  });
  if (result.exitCode !== 0) throw new Error(`build failed: ${result.stderr.toString()}`);
  built = join(repo, "dist", "weft");
  return built;
}

/** A copy of the binary alone in an empty folder, as a user who downloaded it would have it. */
export function lonelyBinary(): { dir: string; bin: string } {
  const dir = tempDir("weft-bin-");
  const bin = join(dir, "weft");
  copyFileSync(weftBinary(), bin);
  Bun.spawnSync(["chmod", "755", bin]);
  return { dir, bin };
}

/** The flags of a node alone in its folder: data in `./data`, loopback, a free port, no browser. */
export const LOCAL_NODE_ARGS: readonly string[] = [
  "--data-dir",
  "./data",
  "--port",
  "0",
  "--host",
  "127.0.0.1",
  "--no-open",
];

export interface RunningBinary {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  url: string;
  stdoutLine: string;
  /** Sends a signal and resolves with the exit code and how long the exit took. */
  signal(sig?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Starts the binary and waits for its "listening on" line. */
export async function startBinary(
  bin: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<RunningBinary> {
  const proc = Bun.spawn([bin, ...args], {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: cwd, ...env },
  });
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\n")) {
    if (Date.now() > deadline) throw new Error("binary did not report its URL in 10 s");
    const { value, done } = await reader.read();
    if (done) throw new Error(`binary exited before listening: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const match = /listening on (http:\/\/localhost:(\d+)\/)/.exec(text);
  if (!match) throw new Error(`unexpected first line: ${text}`);
  return {
    proc,
    port: Number(match[2]),
    url: match[1]!,
    stdoutLine: text.trim(),
    async signal(sig = "SIGTERM") {
      const started = performance.now();
      proc.kill(sig);
      const code = await proc.exited;
      return { code, ms: performance.now() - started };
    },
  };
}

/** Runs the binary to completion (for --help, bad flags) and returns what it printed. */
export function runBinary(bin: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = Bun.spawnSync([bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * A JSON call to a running node as its own browser tab would make it (with the node's Origin on
 * every request); a non-2xx answer throws with the node's reason, so a test fails where it broke.
 */
export async function callNode<T>(
  node: RunningBinary,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${node.url}${path.replace(/^\//, "")}`, {
    method,
    headers: { origin: `http://localhost:${node.port}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Compiled nodes for one test file: each named, alone in its own folder, on loopback and a free
 * port. `stopAll` ends whichever are still running (call it in `afterAll`).
 */
export function binaryPool() {
  const nodes: RunningBinary[] = [];
  return {
    async start(name: string): Promise<RunningBinary> {
      const copy = lonelyBinary();
      const args = [...LOCAL_NODE_ARGS, "--name", name];
      const node = await startBinary(copy.bin, args, copy.dir);
      nodes.push(node);
      return node;
    },
    async stopAll(): Promise<void> {
      await Promise.all(nodes.filter((n) => n.proc.exitCode === null).map((n) => n.signal()));
    },
  };
}

/**
 * Pairs two running binaries as people do (b redeems a's invite over REST) and waits until each
 * lists the other as connected. Returns both node ids.
 */
export async function pairBinaries(
  a: RunningBinary,
  b: RunningBinary,
  ms = 10_000,
): Promise<{ aId: string; bId: string }> {
  const identity = (n: RunningBinary) => callNode<{ node_id: string }>(n, "GET", "/api/network/identity");
  const [aId, bId] = [(await identity(a)).node_id, (await identity(b)).node_id];
  const { invite } = await callNode<{ invite: string }>(a, "POST", "/api/network/invite", {});
  const paired = await callNode<{ ok: boolean; error?: string }>(b, "POST", "/api/network/pair", { invite });
  if (!paired.ok) throw new Error(`pairing failed: ${paired.error}`);
  const connected = async (n: RunningBinary, peer: string) => {
    const list = await callNode<{ peers: { node_id: string; status: string }[] }>(
      n,
      "GET",
      "/api/network/peers",
    );
    return list.peers.some((p) => p.node_id === peer && p.status === "connected");
  };
  await waitFor(
    async () => (await connected(a, bId)) && (await connected(b, aId)),
    "the two binaries to link",
    ms,
  );
  return { aId, bId };
}
