/**
 * The processes bench/lobby.ts runs: the lobby (`weft --lobby`, the compiled binary) and the swarm
 * (bench/lobby-swarm.ts), each under a raised descriptor limit, each talking in stdout lines.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { within } from "./bench-stats.ts";
import { processCpuMs } from "./binary-node.ts";

/** Registers a step that stops what was started, run on the way out (Ctrl-C included). */
export type Defer = (step: () => void | Promise<void>) => void;

/**
 * `argv` under `sh -c 'ulimit -n <hard>'`: the lobby holds a socket per node and each swarm
 * process a socket per node of its share, so the soft descriptor limit is raised to the hard one.
 */
function withFdLimit(argv: string[]): string[] {
  return ["sh", "-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...argv];
}

export function fdLimits(): { soft: string; hard: string } {
  const read = (flag: string) =>
    new TextDecoder().decode(Bun.spawnSync(["sh", "-c", `ulimit ${flag}`]).stdout).trim();
  return { soft: read("-Sn"), hard: read("-Hn") };
}

/** A line reader over a child's stdout; `next` resolves with the next line that passes `want`. */
function lines(proc: { stdout: ReadableStream<Uint8Array> }) {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  void (async () => {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk);
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        queue.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
      wake?.();
    }
    ended = true;
    wake?.();
  })();
  return async function next(want: (line: string) => boolean): Promise<string> {
    for (;;) {
      const i = queue.findIndex(want);
      if (i >= 0) return queue.splice(i, 1)[0]!;
      if (ended) throw new Error("the process ended before saying it");
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
}

/** The resident set of a process, from `/proc/<pid>/status`. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** The lobby process, listening. */
export interface Lobby {
  pid: number;
  wsUrl: string;
  httpUrl: string;
  /** Its `--data-dir`: a copy of it gives another instance the same identity. */
  dataDir: string;
  lobbyId: string;
  /** The limits it was started with, beside its defaults. */
  limits: Record<string, number | string>;
}

/** What the lobby is started with. */
export interface LobbyProcessOptions {
  binary: string;
  /** Nodes the run registers: the socket and node caps are raised past it. */
  nodes: number;
  /** `NAME=VALUE` limits over the bench's own. */
  limits: readonly string[];
  /** A folder for a markdown CPU profile of the whole run, written when the lobby exits. */
  profileDir?: string;
  /** `--redis-url`: an instance of a lobby whose others share this Redis. */
  redisUrl?: string;
  /**
   * Another instance's data dir, copied as this one's before it starts: instances of one lobby
   * share one identity, as the operator gives each a copy of one data dir.
   */
  identityFrom?: string;
  defer: Defer;
}

export async function startLobbyProcess(opts: LobbyProcessOptions): Promise<Lobby> {
  const { nodes } = opts;
  const folder = mkdtempSync(join(tmpdir(), "weft-bench-lobby-"));
  const limits = {
    socketsPerIp: nodes + 1_000,
    maxSockets: nodes + 2_000,
    maxNodes: nodes + 1_000,
    relayFramesPerSec: 1_000_000,
    relayFramesBurst: 1_000_000,
    relayBytesPerSec: 2_000_000_000,
    relayBytesBurst: 2_000_000_000,
    // What a --window of frames in flight may pile up toward a slow receiver: the default 8 MiB
    // cap would cut the receiver's socket before the sender's window ever filled.
    sendBufferBytes: 256 * 1024 * 1024,
  } as Record<string, number | string>;
  for (const pair of opts.limits) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--limit takes NAME=VALUE, got "${pair}"`);
    const value = pair.slice(eq + 1).trim();
    // Numbers stay numbers in the JSON line; the lobby itself refuses anything else, and says why.
    limits[pair.slice(0, eq)] = /^\d+$/.test(value) ? Number(value) : value;
  }
  const profile = opts.profileDir;
  const dataDir = join(folder, "data");
  if (opts.identityFrom) cpSync(opts.identityFrom, dataDir, { recursive: true });
  const proc = Bun.spawn(
    withFdLimit([
      opts.binary,
      "--lobby",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      "--log-level",
      "error",
      ...(opts.redisUrl ? ["--redis-url", opts.redisUrl] : []),
      ...Object.entries(limits).flatMap(([k, v]) => ["--limit", `${k}=${v}`]),
    ]),
    {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
      env: {
        PATH: process.env.PATH ?? "",
        HOME: folder,
        // The profile is written when the lobby exits on SIGTERM.
        ...(profile ? { BUN_OPTIONS: `--cpu-prof-md --cpu-prof-dir=${profile}` } : {}),
      },
    },
  );
  opts.defer(async () => {
    proc.kill("SIGTERM");
    await within(5_000, "the lobby to exit", proc.exited).catch(() => proc.kill("SIGKILL"));
    rmSync(folder, { recursive: true, force: true });
  });
  const next = lines(proc);
  const line = await within(
    10_000,
    "the lobby's listening line",
    next((l) => l.includes("listening on")),
  );
  const match = /listening on (ws:\/\/[^\s]+\/lobby-ws) \(lobby ([a-z2-7]+)\)/.exec(line);
  if (!match) throw new Error(`unexpected lobby line: ${line}`);
  const wsUrl = match[1]!;
  // `lines` keeps reading stdout, so the lobby never blocks on a full pipe.
  return {
    pid: proc.pid,
    wsUrl,
    httpUrl: wsUrl.replace(/^ws/, "http").replace(/\/lobby-ws$/, ""),
    dataDir,
    lobbyId: match[2]!,
    limits,
  };
}

/** One swarm process: commands in, JSON lines out (bench/lobby-swarm.ts). */
export interface Swarm {
  pid: number;
  send(cmd: unknown): void;
  next(want: (msg: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

export function startSwarm(
  lobby: Lobby,
  opts: { index: number; count: number; listedEvery: number; defer: Defer },
): Swarm {
  const proc = Bun.spawn(
    withFdLimit([
      process.execPath,
      join(import.meta.dir, "lobby-swarm.ts"),
      "--url",
      lobby.wsUrl,
      "--count",
      String(opts.count),
      "--listed-every",
      String(opts.listedEvery),
      "--name",
      `swarm${opts.index}`,
    ]),
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  opts.defer(async () => {
    try {
      proc.stdin.write(`${JSON.stringify({ cmd: "stop" })}\n`);
      proc.stdin.end();
    } catch {}
    await within(5_000, "a swarm process to exit", proc.exited).catch(() => proc.kill("SIGKILL"));
  });
  const next = lines(proc);
  return {
    pid: proc.pid,
    send(cmd) {
      proc.stdin.write(`${JSON.stringify(cmd)}\n`);
      proc.stdin.flush();
    },
    async next(want) {
      const line = await next((l) => {
        try {
          return want(JSON.parse(l) as Record<string, unknown>);
        } catch {
          return false;
        }
      });
      return JSON.parse(line) as Record<string, unknown>;
    },
  };
}

export function swarmCpuMs(swarms: Swarm[]): number {
  return swarms.reduce((n, s) => n + processCpuMs(s.pid), 0);
}

/** What `/health` says of one instance (protocol/lobby.ts `lobbyHealth`); `nodes` are those it holds. */
export interface LobbyHealthFigures {
  status: string;
  lobby_id: string;
  instance: string;
  nodes: number;
  rooms: number;
}

export async function health(lobby: Lobby): Promise<LobbyHealthFigures> {
  return (await (await fetch(`${lobby.httpUrl}/health`)).json()) as LobbyHealthFigures;
}
