import { createServer } from "node:net";
import type { Subprocess } from "bun";
import { tempDir } from "./temp-dir.ts";

/**
 * A real `redis-server` for one test file, on loopback and a free port, in a temp dir, with
 * nothing saved to disk. `stop` and `start` stand for an outage: the same port, and (as nothing
 * persists) an empty store when it is back.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Kills it (SIGKILL, as a crash would) and waits for it to be gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open and nothing is answered... */
  pause(): void;
  /** ...until this (SIGCONT). */
  resume(): void;
  /** Runs `redis-cli`-style commands against it, e.g. `cli("FLUSHALL")`; resolves with stdout. */
  cli(...args: string[]): Promise<string>;
  /** Stops it for good. */
  close(): Promise<void>;
}

const READY = "Ready to accept connections";

/** Where redis-server is, or a sentence saying it is missing (the suites that need it fail with it). */
export function redisServerBinary(): string {
  const found = Bun.which("redis-server");
  if (!found) {
    throw new Error(
      "redis-server is not installed: the Redis backplane suite needs a real one (apt-get install redis-server)",
    );
  }
  return found;
}

export async function startRedisServer(): Promise<RedisServer> {
  const bin = redisServerBinary();
  const cliBin = Bun.which("redis-cli");
  const dir = tempDir("weft-redis-");
  let port = 0;
  let proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;

  const launch = async (): Promise<boolean> => {
    const p = Bun.spawn(
      [bin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const ready = await readUntil(p, READY, 10_000);
    if (!ready) {
      p.kill("SIGKILL");
      await p.exited;
      return false;
    }
    void p.stdout.pipeTo(new WritableStream()).catch(() => {});
    void p.stderr.pipeTo(new WritableStream()).catch(() => {});
    proc = p;
    return true;
  };

  // A free port can be taken between asking and binding: a few tries.
  for (let attempt = 0; attempt < 5 && !proc; attempt++) {
    port = await freePort();
    await launch();
  }
  if (!proc) throw new Error("redis-server did not start on a free port (five tries)");

  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p) return;
    p.kill("SIGKILL");
    // A frozen process takes SIGKILL too; SIGCONT is for tidiness only.
    p.kill("SIGCONT");
    await p.exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async start() {
      if (proc) return;
      // The port was ours a moment ago; a socket of the old process may hold it a little longer.
      for (let attempt = 0; attempt < 50; attempt++) {
        if (await launch()) return;
        await Bun.sleep(100);
      }
      throw new Error(`redis-server did not start again on port ${port}`);
    },
    pause() {
      proc?.kill("SIGSTOP");
    },
    resume() {
      proc?.kill("SIGCONT");
    },
    async cli(...args: string[]) {
      if (!cliBin) throw new Error("redis-cli is not installed (it comes with redis-server)");
      const r = Bun.spawnSync([cliBin, "-p", String(port), "--no-raw", ...args], { stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`redis-cli ${args.join(" ")}: ${r.stderr.toString()}`);
      return r.stdout.toString();
    },
    close: stop,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Reads `proc`'s stdout until `text` shows (true) or it exits or `ms` pass (false). */
async function readUntil(
  proc: Subprocess<"ignore", "pipe", "pipe">,
  text: string,
  ms: number,
): Promise<boolean> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = setTimeout(() => void reader.cancel().catch(() => {}), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      seen += decoder.decode(value, { stream: true });
      if (seen.includes(text)) return true;
      seen = seen.slice(-text.length * 2);
    }
  } catch {
    return false;
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
}
