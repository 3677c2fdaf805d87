import { join } from "node:path";
import type { Subprocess } from "bun";
import { type LobbyHealth, lobbyHealth } from "../../protocol/lobby.ts";
import { weftBinary } from "./binary.ts";
import { waitFor } from "./browser.ts";
import { tempDir } from "./temp-dir.ts";

/** The one line `weft --lobby` prints once it listens (lobby/main.ts). */
export const LISTENING =
  /^weft lobby \S+ listening on ws:\/\/(\S+):(\d+)\/lobby-ws \(lobby ([a-z2-7]{16})\)$/;

/** A compiled lobby running in its own process, on loopback and a free port. */
export interface LobbyBinary {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Its data dir. */
  dataDir: string;
  /** What it printed when it started listening. */
  line: string;
  port: number;
  /** The lobby's id as its line and `/health` give it. */
  lobbyId: string;
  /** What a person types into the Lobby pane: `ws://127.0.0.1:<port>` (the node adds `/lobby-ws`). */
  address: string;
  /** Its HTTP root (`/health`, the status page), without a trailing slash. */
  url: string;
  /** Its `/health`, parsed. */
  health(): Promise<LobbyHealth>;
  /** Sends a signal and resolves with the exit code. */
  stop(sig?: NodeJS.Signals): Promise<number | null>;
}

/** How a compiled lobby starts, beyond loopback and a free port. */
export interface LobbyBinaryOptions {
  /** Its data dir (a copy of another instance's makes it an instance of the same lobby); default a fresh one. */
  dataDir?: string;
  /** More flags, e.g. `--redis-url URL` or `--limit NAME=VALUE`. */
  args?: readonly string[];
}

/**
 * Starts `weft --lobby --port 0 --host 127.0.0.1 --data-dir <fresh folder>`, reads its listening
 * line and waits until `/health` answers with the same lobby id.
 */
export async function startLobbyBinary(
  bin = weftBinary(),
  opts: LobbyBinaryOptions = {},
): Promise<LobbyBinary> {
  const dir = tempDir("weft-lobby-bin-");
  const dataDir = opts.dataDir ?? join(dir, "data");
  const proc = Bun.spawn(
    [bin, "--lobby", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, ...(opts.args ?? [])],
    {
      cwd: dir,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: dir },
    },
  );
  const line = await firstLine(proc);
  const match = LISTENING.exec(line);
  if (!match) {
    proc.kill("SIGKILL");
    throw new Error(`unexpected first line from the lobby: ${line}`);
  }
  // Its log goes on stderr: read and dropped, so a full pipe never stalls the lobby mid-test.
  void proc.stderr.pipeTo(new WritableStream()).catch(() => {});
  void proc.stdout.pipeTo(new WritableStream()).catch(() => {});
  const port = Number(match[2]);
  const lobbyId = match[3]!;
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const res = await fetch(`${url}/health`).catch(() => undefined);
      if (!res?.ok) return false;
      return lobbyHealth.parse(await res.json()).lobby_id === lobbyId;
    },
    "the lobby's /health to answer with its id",
    5000,
  );
  return {
    proc,
    dataDir,
    line,
    port,
    lobbyId,
    address: `ws://127.0.0.1:${port}`,
    url,
    health: async () => lobbyHealth.parse(await (await fetch(`${url}/health`)).json()),
    async stop(sig = "SIGTERM") {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(sig);
      return proc.exited;
    },
  };
}

/** The first line the process prints on stdout, or an error with its stderr if it exits first. */
export async function firstLine(proc: Subprocess<"ignore", "pipe", "pipe">): Promise<string> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 10_000;
  try {
    while (!text.includes("\n")) {
      if (Date.now() > deadline) throw new Error("the lobby did not print its line in 10 s");
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`the lobby exited before listening: ${await new Response(proc.stderr).text()}`);
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n")).trim();
}
