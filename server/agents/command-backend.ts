import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import {
  type AgentBackend,
  AgentBackendError,
  type AgentQuestion,
  deadline,
  framedPrompt,
} from "./agent-backend.ts";
import { parseCommandLine } from "./command-argv.ts";

/** Time a program gets to exit after SIGTERM before it gets SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** How much of a program's stderr is kept for the log: the end, where the reason usually is. */
export const STDERR_TAIL_BYTES = 8 * 1024;
/** How long stderr may stay open once the program is gone, before what it wrote is taken as is. */
const STDERR_WAIT_MS = 200;

export interface CommandBackendOptions {
  /** `agent.command`: the program and its arguments, split like a shell would, run without one. */
  command: string;
  /** `agent.timeoutS` in ms: the program is stopped once it passes. */
  timeoutMs: number;
  /** The only variable the program gets; default the node's own PATH. */
  path?: string;
  /** SIGTERM to SIGKILL; default `DEFAULT_KILL_GRACE_MS`. */
  graceMs?: number;
  /** Where the program's stderr goes (its last `STDERR_TAIL_BYTES`): the node's log, never the asker. */
  onStderr?: (text: string, requestId: string) => void;
}

/**
 * `agent.backend` = command: a program on this computer gets the framed question on stdin and
 * writes its answer to stdout, streamed. It sees nothing else of this node: no shell, an
 * environment of PATH alone (no HOME, no WEFT_*, no key), and a fresh empty folder as its working
 * directory, removed afterwards. It runs as the leader of its own process group, so a cancel or a
 * timeout stops what it started too.
 */
export class CommandBackend implements AgentBackend {
  readonly kind = "command";
  readonly #opts: CommandBackendOptions;

  constructor(opts: CommandBackendOptions) {
    this.#opts = opts;
  }

  async *answer(q: AgentQuestion, signal: AbortSignal): AsyncGenerator<string> {
    const { timeoutMs, onStderr } = this.#opts;
    const PATH = this.#opts.path ?? process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
    const argv = programOf(this.#opts.command, PATH);
    const limit = deadline(signal, timeoutMs);
    if (limit.signal.aborted) {
      limit.dispose();
      throw limit.error();
    }
    const dir = mkdtempSync(join(tmpdir(), "weft-agent-"));
    let proc: Subprocess<Uint8Array, "pipe", "pipe">;
    try {
      proc = Bun.spawn({
        cmd: argv,
        cwd: dir,
        env: { PATH },
        stdin: new TextEncoder().encode(framedPrompt(q)),
        stdout: "pipe",
        stderr: "pipe",
        detached: true,
      });
    } catch (err) {
      limit.dispose();
      rmSync(dir, { recursive: true, force: true });
      throw new AgentBackendError("unavailable", "this node's agent program could not be started", {
        detail: `${argv[0]}: ${(err as Error).message}`,
      });
    }
    const stderr = keepTail(proc.stderr, STDERR_TAIL_BYTES);
    const graceMs = this.#opts.graceMs ?? DEFAULT_KILL_GRACE_MS;
    // Once: whichever comes first of an abort, an early return and the end cleans up.
    let cleaned: Promise<void> | undefined;
    const cleanup = () => {
      cleaned ??= (async () => {
        await stopGroup(proc, graceMs);
        rmSync(dir, { recursive: true, force: true });
      })();
      return cleaned;
    };
    // The process is stopped on abort even if nobody is reading the answer at that moment.
    const aborted = new Promise<"aborted">((resolve) => {
      const onAbort = () => {
        void cleanup();
        resolve("aborted");
      };
      if (limit.signal.aborted) onAbort();
      else limit.signal.addEventListener("abort", onAbort, { once: true });
    });
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder("utf-8");
    try {
      for (;;) {
        const read = await Promise.race([reader.read(), aborted]);
        if (read === "aborted") throw limit.error();
        if (read.done) break;
        // `stream: true` holds back a UTF-8 sequence cut at the chunk's end until the next one.
        const text = decoder.decode(read.value, { stream: true });
        if (text !== "") yield text;
      }
      const rest = decoder.decode();
      if (rest !== "") yield rest;
      const code = await Promise.race([proc.exited, aborted]);
      if (code === "aborted") throw limit.error();
      if (proc.signalCode) {
        throw new AgentBackendError("failed", `the agent program was stopped by ${proc.signalCode}`);
      }
      if (code !== 0) throw new AgentBackendError("failed", `the agent program exited with code ${code}`);
    } finally {
      limit.dispose();
      reader.cancel().catch(() => {});
      await cleanup();
      const text = await stderr.text(STDERR_WAIT_MS);
      if (text !== "") onStderr?.(text, q.requestId);
    }
  }
}

/** The argv to spawn: the program found on PATH (or given absolute), and its arguments. */
function programOf(command: string, PATH: string): string[] {
  let argv: string[];
  try {
    argv = parseCommandLine(command);
  } catch (err) {
    throw new AgentBackendError("unavailable", "this node's agent is not set up", {
      detail: `agent.command: ${(err as Error).message}`,
    });
  }
  const [name, ...args] = argv as [string, ...string[]];
  const program = name.startsWith("/") ? name : Bun.which(name, { PATH });
  if (!program) {
    throw new AgentBackendError("unavailable", "this node's agent program is not installed", {
      detail: `agent.command: ${name} is not found on PATH`,
    });
  }
  return [program, ...args];
}

/**
 * Stops the program's whole process group: SIGTERM, SIGKILL after `graceMs` if the leader is
 * still there, and SIGKILL once more for anything it started that outlived it. Resolves once the
 * leader has exited.
 */
async function stopGroup(proc: Subprocess, graceMs: number): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    signalGroup(proc, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const exited = await Promise.race([proc.exited.then(() => true), graceOver]);
    clearTimeout(timer);
    if (!exited) signalGroup(proc, "SIGKILL");
    await proc.exited;
  }
  // The leader is gone but its group id stays taken while a member lives, so this reaches only them.
  signalGroup(proc, "SIGKILL");
}

function signalGroup(proc: Subprocess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // No such group left (ESRCH): nothing to stop.
  }
}

/**
 * Keeps the last `max` bytes a stream carries, dropping what came before as it goes. `text`
 * waits at most `waitMs` for the stream to end: a process the group kill could not reach (one
 * that started a session of its own) may hold the pipe open, and must not hold the answer too.
 */
function keepTail(
  stream: ReadableStream<Uint8Array>,
  max: number,
): { text(waitMs: number): Promise<string> } {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parts.push(value);
        size += value.byteLength;
        while (parts.length > 1 && size - (parts[0] as Uint8Array).byteLength >= max) {
          size -= (parts.shift() as Uint8Array).byteLength;
        }
      }
    } catch {
      // A pipe cut by the kill keeps what it had.
    }
  })();
  return {
    async text(waitMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      reader.cancel().catch(() => {});
      const all = new Uint8Array(size);
      let at = 0;
      for (const part of parts) {
        all.set(part, at);
        at += part.byteLength;
      }
      return new TextDecoder().decode(all.subarray(Math.max(0, size - max)));
    },
  };
}
