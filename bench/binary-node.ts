/**
 * A compiled weft binary started by a bench in its own process and folder, driven only the way a
 * user's tools can: REST and the local `/ws`, both on loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** The binary the benches start: `--binary PATH`, else the build in `dist/`. */
export const defaultBinary = join(import.meta.dir, "..", "dist", "weft");

/** A port nobody listens on right now. */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

import { within } from "./bench-stats.ts";

/** utime + stime of a process from `/proc/<pid>/stat` (fields 14 and 15, in clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One running binary with a fresh data dir. */
export interface BinaryNode {
  port: number;
  /** CPU time (user + system) the binary's process has used so far, in ms; Linux only. */
  cpuMs(): number;
  nodeId: string;
  peerAddress: string;
  /** A REST call as the local UI makes it; throws on a non-2xx answer. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** The node's `/ws`, already open; `on` hears every frame of the `network` channel. */
  browser(): Promise<BrowserSocket>;
  stop(): Promise<void>;
}

/** A `/ws` connection to a binary, as a tab has it. */
export interface BrowserSocket {
  send(msg: unknown): void;
  on(listener: (event: string, data: unknown) => void): () => void;
  close(): void;
}

/**
 * Where a binary runs when not simply on this machine's loopback: in another network namespace,
 * say (bench/webrtc-netns.ts), started through `prefix` (`ip netns exec <ns>`), listening on
 * `host` at `port`, where this process still reaches its loopback-only API (a bridge), and dialed
 * by peers at `peerAddress`.
 */
export interface BinaryPlacement {
  prefix: readonly string[];
  host: string;
  port: number;
  peerAddress: string;
}

/**
 * Starts `binary` on a free loopback port (or as `at` places it) and resolves once `/api/health`
 * answers.
 */
export async function startBinary(binary: string, name: string, at?: BinaryPlacement): Promise<BinaryNode> {
  const folder = mkdtempSync(join(tmpdir(), "weft-bench-"));
  const port = at?.port ?? freePort();
  const proc: Subprocess = Bun.spawn(
    [
      ...(at?.prefix ?? []),
      binary,
      "--port",
      String(port),
      "--host",
      at?.host ?? "127.0.0.1",
      "--data-dir",
      join(folder, "data"),
      "--name",
      name,
      "--no-open",
      "--log-level",
      "error",
    ],
    {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "inherit",
      env: { PATH: process.env.PATH ?? "", HOME: folder },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const origin = `http://localhost:${port}`;
  const started = performance.now();
  let nodeId = "";
  for (;;) {
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.status === 200) {
        nodeId = ((await res.json()) as { node_id: string }).node_id;
        break;
      }
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) throw new Error(`${binary} exited with ${proc.exitCode}`);
    if (performance.now() - started > 10_000) throw new Error(`${binary}: no health in 10 s`);
    await Bun.sleep(2);
  }
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { origin, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const sockets: WebSocket[] = [];
  return {
    port,
    cpuMs: () => processCpuMs(proc.pid),
    nodeId,
    peerAddress: at?.peerAddress ?? `ws://127.0.0.1:${port}/peer-ws`,
    api,
    async browser() {
      // Bun's WebSocket takes headers; the DOM typing of the constructor does not know them.
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { origin } } as never);
      sockets.push(ws);
      const listeners = new Set<(event: string, data: unknown) => void>();
      ws.addEventListener("message", (e) => {
        const msg = JSON.parse(String(e.data)) as { channel: string; event: string; data: unknown };
        if (msg.channel === "network") for (const l of listeners) l(msg.event, msg.data);
      });
      await within(
        5_000,
        "the /ws to open",
        new Promise<void>((resolve, reject) => {
          ws.addEventListener("open", () => resolve());
          ws.addEventListener("error", () => reject(new Error("/ws failed")));
        }),
      );
      return {
        send: (msg) => ws.send(JSON.stringify(msg)),
        on(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        close: () => ws.close(),
      };
    },
    async stop() {
      for (const ws of sockets) ws.close();
      proc.kill("SIGTERM");
      await within(10_000, `${name} to exit`, proc.exited);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
