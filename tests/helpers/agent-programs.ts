import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./temp-dir.ts";

/** Writes `body` as an executable `/bin/sh` script in a fresh folder; returns its path. */
export function writeProgram(body: string, name = "agent.sh"): string {
  const path = join(tempDir("weft-agent-prog-"), name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A word quoted for `agent.command` (which splits like a shell): in single quotes, `'` spelled out. */
export function quoteArg(word: string): string {
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Whether a process is gone: no such pid, or only a zombie left for its parent to reap. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; Z is a zombie, which runs nothing any more.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** A program for the command backend that records what it got and what it started. */
export interface RecordingProgram {
  /** The `agent.command` line that runs it. */
  command: string;
  /** What it read on stdin, once it has. */
  stdin(): string | undefined;
  /** Its own pid, once it started. */
  pid(): number | undefined;
  /** The pid of a child it left running in the background, for `endless`. */
  childPid(): number | undefined;
}

/**
 * A program that writes down its stdin and pid (in files named by its arguments, since it gets
 * no variables), then: `answer` prints `parts` a moment apart; `endless` prints the first part,
 * having started a background child, and waits forever; `fail` writes to stderr and exits with code 3.
 */
export function recordingProgram(
  behaviour: "answer" | "endless" | "fail",
  parts: string[],
): RecordingProgram {
  const dir = tempDir("weft-agent-rec-");
  const files = { stdin: join(dir, "stdin"), pid: join(dir, "pid"), child: join(dir, "child") };
  const run = {
    answer: 'shift 3\nfor part in "$@"; do printf "%s" "$part"; sleep 0.05; done',
    endless: 'sleep 600 &\necho $! > "$3"\nprintf "%s" "$4"\nwait',
    fail: 'echo "agent: model file /home/someone/model.bin is missing" >&2\nexit 3',
  }[behaviour];
  const program = writeProgram(`cat > "$1.part" && mv "$1.part" "$1"\necho $$ > "$2"\n${run}`);
  const args = [program, files.stdin, files.pid, files.child, ...parts];
  const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined);
  const pidIn = (path: string) => {
    const text = read(path)?.trim();
    return text ? Number(text) : undefined;
  };
  return {
    command: args.map(quoteArg).join(" "),
    stdin: () => read(files.stdin),
    pid: () => pidIn(files.pid),
    childPid: () => pidIn(files.child),
  };
}
