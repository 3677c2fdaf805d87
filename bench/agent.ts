/**
 * `bun bench/agent.ts [--binary dist/weft] [--asks N] [--quick]`: asking a peer's agent, in one JSON
 * line on stdout, progress on stderr.
 *
 * Two compiled nodes, paired over a direct link on loopback. The asked one answers every peer at
 * once (`agent.defaultApproval` always) with a `command` backend:
 *
 * 1. `ask_peer_round_trip_ms`: `POST /api/network/ask-peer` on the asker, one after another, with
 *    `/bin/cat` as the program (it answers at once, with the framed question it read): from the
 *    request leaving to the whole answer back, so the figure holds the REST call, the gate, the
 *    program's start and exit, the stream and the result. Budget: p99 ≤ 20 ms over direct.
 * 2. `stream_deltas_per_s`: one question whose program writes 20,000 short lines, each flushed
 *    apart, counted as `delta` frames arriving at a `/ws` tab of the asker (what the Agent pane
 *    draws), from the first to the last, with the characters per second they carried.
 *
 * Exits 0 whatever the figures are; non-zero only when the bench itself broke. Every process it
 * started is stopped on the way out, Ctrl-C included.
 */

import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchCleanup } from "./bench-cleanup.ts";
import { quantile, round, within } from "./bench-stats.ts";
import { type BinaryNode, defaultBinary, startBinary } from "./binary-node.ts";

const BUDGET_P99_MS = 20;
const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    binary: { type: "string" },
    asks: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const quick = args.quick === true;
const ASKS = Number(args.asks ?? (quick ? 50 : 300));
const LINES = quick ? 5_000 : 20_000;
const BINARY = resolve(args.binary ?? defaultBinary);
// The asked node takes at most 600 questions a minute from one peer (its highest agent.ratePerMinute).
if (!Number.isInteger(ASKS) || ASKS < 1 || ASKS > 590)
  throw new Error(`--asks takes 1 to 590, got ${args.asks}`);

const log = (line: string) => process.stderr.write(`agent bench: ${line}\n`);
const { defer, cleanUp } = benchCleanup(log);

/** Waits for `check` to hold, polling; a clear failure after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await Bun.sleep(20);
  }
}

/** A program for the command backend that writes `lines` short lines, each its own write. */
function streamingProgram(lines: number): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-agent-"));
  defer(async () => void Bun.spawnSync(["rm", "-rf", dir]));
  const path = join(dir, "stream.sh");
  writeFileSync(
    path,
    `#!/bin/sh\ncat > /dev/null\nawk 'BEGIN { for (i = 0; i < ${lines}; i++) { print "part " i; fflush() } }'\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

async function askOnce(
  asker: BinaryNode,
  peerId: string,
  prompt: string,
): Promise<{ ok: boolean; answer?: string; error?: string }> {
  return asker.api("POST", "/api/network/ask-peer", { peer_id: peerId, prompt });
}

async function main(): Promise<Record<string, unknown>> {
  const asker = await startBinary(BINARY, "bench-asker");
  defer(() => asker.stop());
  const asked = await startBinary(BINARY, "bench-asked");
  defer(() => asked.stop());
  const { invite } = await asked.api<{ invite: string }>("POST", "/api/network/invite", {});
  const paired = await asker.api<{ ok: boolean; error?: string }>("POST", "/api/network/pair", { invite });
  if (!paired.ok) throw new Error(`pairing failed: ${paired.error}`);
  await until("the direct link", async () => {
    const { peers } = await asker.api<{
      peers: Array<{ node_id: string; status: string; transport: string | null }>;
    }>("GET", "/api/network/peers");
    return peers.some(
      (p) => p.node_id === asked.nodeId && p.status === "connected" && p.transport === "direct",
    );
  });
  await asked.api("PUT", "/api/settings", {
    "agent.allowRemote": true,
    "agent.defaultApproval": "always",
    "agent.ratePerMinute": 600,
    "agent.backend": "command",
    "agent.command": "/bin/cat",
  });

  const spans: number[] = [];
  const warm = await askOnce(asker, asked.nodeId, "warm up");
  if (!warm.ok) throw new Error(`the first ask failed: ${warm.error}`);
  for (let i = 0; i < ASKS; i++) {
    const t0 = performance.now();
    const r = await askOnce(asker, asked.nodeId, `question ${i}`);
    spans.push(performance.now() - t0);
    if (!r.ok || !r.answer?.endsWith(`question ${i}`))
      throw new Error(`ask ${i} failed: ${r.error ?? "wrong answer"}`);
    if ((i + 1) % 100 === 0) log(`${i + 1}/${ASKS} asks, p50 ${round(quantile(spans, 0.5), 2)} ms`);
  }

  await asked.api("PUT", "/api/settings", { "agent.command": streamingProgram(LINES) });
  const ws = new WebSocket(`ws://127.0.0.1:${asker.port}/ws`, {
    headers: { origin: `http://localhost:${asker.port}` },
  } as never);
  defer(async () => ws.close());
  await within(
    5_000,
    "the tab to open",
    new Promise<void>((ok, fail) => {
      ws.addEventListener("open", () => ok());
      ws.addEventListener("error", () => fail(new Error("/ws failed")));
    }),
  );
  let deltas = 0;
  let chars = 0;
  let first = 0;
  let last = 0;
  ws.addEventListener("message", (e) => {
    const frame = JSON.parse(String(e.data)) as { channel: string; event: string; data: { delta?: string } };
    if (frame.channel !== "agent" || frame.event !== "delta") return;
    const now = performance.now();
    if (deltas === 0) first = now;
    last = now;
    deltas += 1;
    chars += frame.data.delta?.length ?? 0;
  });
  const streamed = await askOnce(asker, asked.nodeId, "stream");
  if (!streamed.ok) throw new Error(`the streamed ask failed: ${streamed.error}`);
  await Bun.sleep(200);
  const seconds = Math.max(1e-3, (last - first) / 1000);
  const p99 = quantile(spans, 0.99);
  return {
    bench: "agent",
    binary: BINARY,
    quick,
    asks: spans.length,
    ask_peer_round_trip_ms: {
      p50: round(quantile(spans, 0.5), 2),
      p99: round(p99, 2),
      max: round(Math.max(...spans), 2),
    },
    stream_lines_written: LINES,
    stream_deltas_at_tab: deltas,
    stream_deltas_per_s: Math.round(deltas / seconds),
    stream_chars_per_s: Math.round(chars / seconds),
    stream_answer_chars: streamed.answer?.length ?? 0,
    budgets: {
      ask_peer_round_trip_p99_20ms: {
        figure: round(p99, 2),
        budget: BUDGET_P99_MS,
        pass: p99 <= BUDGET_P99_MS,
      },
    },
  };
}

main().then(
  async (figures) => {
    await cleanUp();
    console.log(JSON.stringify(figures));
    process.exit(0);
  },
  async (err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    await cleanUp();
    process.exit(1);
  },
);
