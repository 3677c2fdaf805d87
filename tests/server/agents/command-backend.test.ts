import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandBackend, type CommandBackendOptions } from "../../../server/agents/command-backend.ts";
import { collect, expectReadable, question, until } from "../../helpers/agent-answers.ts";
import { processGone, quoteArg, recordingProgram, writeProgram } from "../../helpers/agent-programs.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const PATH = "/usr/local/bin:/usr/bin:/bin";

function backend(command: string, opts: Partial<CommandBackendOptions> = {}) {
  return new CommandBackend({ command, timeoutMs: 10_000, path: PATH, graceMs: 300, ...opts });
}

// Variables the node's own process has, none of which the program may see.
const planted = { WEFT_AGENT_TEST_SECRET: "s3cr3t-from-the-node", OPENAI_API_KEY: "sk-from-the-node" };
beforeEach(() => Object.assign(process.env, planted));
afterEach(() => {
  for (const key of Object.keys(planted)) delete process.env[key];
});

describe("what the command backend's program sees", () => {
  test("its environment holds PATH and nothing else: no HOME, no WEFT_*, no key", async () => {
    expect(process.env.HOME).toBeTruthy();
    const { deltas, error } = await collect(backend("/usr/bin/env -0"), question());
    expect(error).toBeUndefined();
    const env = deltas.join("").split("\0").filter(Boolean);
    expect(env).toEqual([`PATH=${PATH}`]);
  });

  test("its working directory is a fresh empty folder of its own, removed once it is done", async () => {
    const program = writeProgram('pwd\nls -A\necho "ls done"');
    const { deltas, error } = await collect(backend(quoteArg(program)), question());
    expect(error).toBeUndefined();
    const [cwd, ...listing] = deltas.join("").trim().split("\n");
    expect(listing).toEqual(["ls done"]);
    expect(cwd).toStartWith(join(tmpdir(), "weft-agent-"));
    expect(cwd).not.toBe(process.cwd());
    expect(existsSync(cwd as string)).toBe(false);
  });

  test("each question gets a folder of its own, even when the last program left files in its own", async () => {
    const program = writeProgram("pwd\nls -A\necho litter > left-behind.txt");
    const first = (await collect(backend(quoteArg(program)), question())).deltas.join("");
    const second = (await collect(backend(quoteArg(program)), question())).deltas.join("");
    expect(first.trim().split("\n")).toHaveLength(1);
    expect(second.trim().split("\n")).toHaveLength(1);
    expect(first).not.toBe(second);
    expect(existsSync(first.trim())).toBe(false);
  });

  test("its stdin is the framed question and its arguments are the command's, split without a shell", async () => {
    const out = join(tempDir(), "args");
    const program = writeProgram(`cat\nfor a in "$@"; do printf '[%s]' "$a" >> '${out}'; done`);
    const q = question("Is $HOME `expanded`? ; rm -rf / | cat");
    const command = `${quoteArg(program)} "two words" it\\'s '$HOME' '*'`;
    const { deltas, error } = await collect(backend(command), q);
    expect(error).toBeUndefined();
    expect(deltas.join("")).toContain("peer the café's laptop (node-7f3a)");
    expect(deltas.join("")).toEndWith("Is $HOME `expanded`? ; rm -rf / | cat");
    expect(readFileSync(out, "utf8")).toBe("[two words][it's][$HOME][*]");
  });
});

describe("the command backend's output", () => {
  test("a character whose UTF-8 bytes arrive in two writes comes out whole", async () => {
    // ✓ is E2 9C 93: the first two bytes, a pause, the last.
    const program = writeProgram("printf 'tick \\342\\234'\nsleep 0.1\nprintf '\\223 done'");
    const { deltas, error } = await collect(backend(quoteArg(program)), question());
    expect(error).toBeUndefined();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("tick ✓ done");
    expect(deltas.join("")).not.toContain("\uFFFD");
  });

  test("stderr goes to the log callback, never into the answer or the error", async () => {
    const logged: Array<{ text: string; requestId: string }> = [];
    const program = writeProgram(
      'echo "loading /home/someone/model.bin" >&2\nprintf "the answer"\necho "warn: slow" >&2',
    );
    const q = question();
    const ok = await collect(
      backend(quoteArg(program), { onStderr: (text, requestId) => logged.push({ text, requestId }) }),
      q,
    );
    expect(ok).toEqual({ deltas: ["the answer"], error: undefined });
    expect(logged).toEqual([
      { text: "loading /home/someone/model.bin\nwarn: slow\n", requestId: q.requestId },
    ]);

    const failing = recordingProgram("fail", []);
    const seen: string[] = [];
    const { deltas, error } = await collect(
      backend(failing.command, { onStderr: (t) => seen.push(t) }),
      question(),
    );
    expectReadable(error);
    expect(deltas.join("")).not.toContain("model.bin");
    expect(`${error.message} ${error.detail ?? ""}`).not.toContain("model.bin");
    expect(seen.join("")).toContain("model.bin is missing");
  });

  test("only the last 8 KiB of a long stderr is kept", async () => {
    const seen: string[] = [];
    const program = writeProgram(
      'i=0\nwhile [ $i -lt 2000 ]; do echo "noise line $i of the agent" >&2; i=$((i+1)); done\necho "the real reason" >&2',
    );
    await collect(backend(quoteArg(program), { onStderr: (t) => seen.push(t) }), question());
    expect(seen).toHaveLength(1);
    expect(new TextEncoder().encode(seen[0]).byteLength).toBeLessThanOrEqual(8 * 1024);
    expect(seen[0]).toEndWith("the real reason\n");
  });

  test("an exit code other than 0 fails with a message naming the code", async () => {
    const program = recordingProgram("fail", []);
    const { error } = await collect(backend(program.command), question());
    expectReadable(error);
    expect(error.code).toBe("failed");
    expect(error.message).toBe("the agent program exited with code 3");
  });

  test("a program killed by a signal fails naming the signal", async () => {
    const program = writeProgram('printf "partial"\nkill -SEGV $$');
    const { deltas, error } = await collect(backend(quoteArg(program)), question());
    expect(deltas).toEqual(["partial"]);
    expectReadable(error);
    expect(error.message).toBe("the agent program was stopped by SIGSEGV");
  });
});

describe("stopping the command backend's program", () => {
  test("a cancel kills it and what it started, and the pids are gone", async () => {
    const program = recordingProgram("endless", ["working"]);
    const abort = new AbortController();
    const it = backend(program.command).answer(question(), abort.signal)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("working");
    const pid = program.pid() as number;
    const child = program.childPid() as number;
    expect(processGone(pid)).toBe(false);
    expect(processGone(child)).toBe(false);
    abort.abort();
    await expect(it.next()).rejects.toMatchObject({ code: "cancelled" });
    expect(processGone(pid)).toBe(true);
    await until(() => processGone(child), "the background child to die");
  });

  test("a program that ignores SIGTERM gets SIGKILL after the grace", async () => {
    const pidFile = join(tempDir(), "pid");
    const program = writeProgram(
      `trap '' TERM\necho $$ > '${pidFile}'\nprintf started\nwhile :; do sleep 0.05; done`,
    );
    const abort = new AbortController();
    const it = backend(quoteArg(program), { graceMs: 300 })
      .answer(question(), abort.signal)
      [Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("started");
    const pid = Number(readFileSync(pidFile, "utf8"));
    const at = performance.now();
    abort.abort();
    await expect(it.next()).rejects.toMatchObject({ code: "cancelled" });
    const took = performance.now() - at;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(2000);
    expect(processGone(pid)).toBe(true);
  });

  test("the timeout kills it, and says how long it waited", async () => {
    const program = recordingProgram("endless", ["slow"]);
    const { deltas, error } = await collect(backend(program.command, { timeoutMs: 400 }), question());
    expect(deltas).toEqual(["slow"]);
    expectReadable(error);
    expect(error.code).toBe("timeout");
    expect(error.message).toBe("no answer within 0.4 s");
    expect(processGone(program.pid() as number)).toBe(true);
    await until(() => processGone(program.childPid() as number), "the background child to die");
  });
});

describe("a command backend that cannot run", () => {
  test("a program not on PATH is unavailable; the asker is not told its name, the log is", async () => {
    const { error } = await collect(backend("no-such-agent-program --fast"), question());
    expectReadable(error);
    expect(error.code).toBe("unavailable");
    expect(error.message).not.toContain("no-such-agent-program");
    expect(error.detail).toContain("no-such-agent-program");
  });

  test("a blank or unparsable command says the agent is not set up", async () => {
    for (const command of ["", "  ", "agent 'unclosed"]) {
      const { error } = await collect(backend(command), question());
      expectReadable(error);
      expect(error.message).toBe("this node's agent is not set up");
    }
  });

  test("a file that is not executable could not be started, and leaves no folder behind", async () => {
    const path = join(tempDir(), "not-executable.sh");
    await Bun.write(path, "#!/bin/sh\necho hi\n");
    const before = new Set(listAgentDirs());
    const { error } = await collect(backend(quoteArg(path)), question());
    expectReadable(error);
    expect(error.code).toBe("unavailable");
    expect(listAgentDirs().filter((d) => !before.has(d))).toEqual([]);
  });
});

function listAgentDirs(): string[] {
  return [...new Bun.Glob("weft-agent-*").scanSync({ cwd: tmpdir(), onlyFiles: false })].filter(
    (d) => !d.startsWith("weft-agent-prog-") && !d.startsWith("weft-agent-rec-"),
  );
}
