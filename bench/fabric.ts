/**
 * Peer fabric figures on loopback, with real nodes in this process (real sockets, SQLite, silent
 * logs). Prints one JSON line:
 *
 * - invite redeemed over REST (`POST /api/network/pair`) → both sides connected, median of fresh pairs;
 * - dial of an already paired node → handshake → first sealed feature frame in the other node's
 *   handler, median;
 * - sealed 1 KiB envelopes per second on one link, one direction, counted in the receiving
 *   feature handler, beside raw Bun WebSocket 1 KiB strings per second measured the same way in
 *   the same run, and their ratio.
 *
 * Throughput runs with a window: the sender keeps at most `WINDOW` messages undelivered, and a
 * round ends only when all it sent is delivered, so the figure is what is delivered, not what is
 * queued. Each figure gets `--seconds` of sending, split into `ROUNDS` rounds that alternate sealed
 * and raw so noise from the rest of the machine falls on both; each figure is its median round.
 * The window is large enough that Bun's client socket batches writes instead of making a system
 * call per message, for both figures. Both ends of a link share this process's one JS thread,
 * which flatters both: `--two-process` puts the receiver in a second process (the compiled binary)
 * and `--cold` times pairing between freshly started binaries (bench/fabric-two-process.ts,
 * bench/fabric-cold.ts).
 *
 *   bun bench/fabric.ts [--pairs 20] [--seconds 3]
 *   bun bench/fabric.ts --two-process [--binary dist/weft] [--seconds 3]
 *   bun bench/fabric.ts --cold [--binary dist/weft] [--samples 11]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ServerWebSocket } from "bun";
import { z } from "zod";
import type { PeerRow } from "../protocol/network.ts";
import { silentLogger } from "../server/log.ts";
import { type RunningNode, startNode } from "../server/node.ts";
import { alternatingRounds, median, round, within } from "./bench-stats.ts";
import { defaultBinary } from "./binary-node.ts";
import { cold } from "./fabric-cold.ts";
import { twoProcess } from "./fabric-two-process.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    pairs: { type: "string" },
    seconds: { type: "string" },
    "two-process": { type: "boolean" },
    cold: { type: "boolean" },
    binary: { type: "string" },
    samples: { type: "string" },
  },
});
const pairs = Number(values.pairs ?? 20);
const seconds = Number(values.seconds ?? 3);
const binary = values.binary ?? defaultBinary;

if (values["two-process"] || values.cold) {
  if (!existsSync(binary)) throw new Error(`no binary at ${binary}: run \`bun run build\` or pass --binary`);
  if (values["two-process"]) await twoProcess(binary, seconds);
  if (values.cold) await cold(binary, Number(values.samples ?? 11));
  process.exit(0);
}

const PAYLOAD_BYTES = 1024;
const WINDOW = 16_384;
const WARMUP_S = 0.5;
const ROUNDS = 3;
const payload = "x".repeat(PAYLOAD_BYTES);
const benchData = z.strictObject({ seq: z.int().nonnegative(), body: z.string().max(4 * PAYLOAD_BYTES) });
type BenchData = z.infer<typeof benchData>;

const folders: string[] = [];

async function node(name: string, settings: Record<string, unknown> = {}): Promise<RunningNode> {
  const folder = mkdtempSync(join(tmpdir(), "weft-bench-"));
  folders.push(folder);
  const n = await startNode(
    {
      port: 0,
      portExplicit: true,
      host: "127.0.0.1",
      dataDir: join(folder, "data"),
      name,
      logLevel: "error",
    },
    silentLogger,
  );
  if (Object.keys(settings).length > 0) n.settings.update(settings);
  return n;
}

const peerAddress = (n: RunningNode) => `ws://127.0.0.1:${n.port}/peer-ws`;

/** Resolves once `n` shows `peerId` with `status`. */
function status(n: RunningNode, peerId: string, want: PeerRow["status"]): Promise<void> {
  if (n.fabric.hub.row(peerId)?.status === want) return Promise.resolve();
  return new Promise((resolve) => {
    const off = n.fabric.hub.on({
      peerUpdate(row) {
        if (row.node_id === peerId && row.status === want) {
          off();
          resolve();
        }
      },
    });
  });
}

async function mint(n: RunningNode): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${n.port}/api/network/invite`, {
    method: "POST",
    headers: { origin: `http://localhost:${n.port}`, "content-type": "application/json" },
    body: "{}",
  });
  return ((await res.json()) as { invite: string }).invite;
}

/** B redeems A's invite over REST; the time until both sides show the other connected. */
async function redeem(a: RunningNode, b: RunningNode): Promise<number> {
  const invite = await mint(a);
  const started = performance.now();
  const aSeesB = status(a, b.identity.nodeId, "connected");
  const res = await fetch(`http://127.0.0.1:${b.port}/api/network/pair`, {
    method: "POST",
    headers: { origin: `http://localhost:${b.port}`, "content-type": "application/json" },
    body: JSON.stringify({ invite }),
  });
  const body = (await res.json()) as { ok: boolean; error?: string };
  if (!body.ok) throw new Error(`pairing failed: ${body.error}`);
  await within(
    5_000,
    "both sides connected",
    Promise.all([aSeesB, status(b, a.identity.nodeId, "connected")]),
  );
  return performance.now() - started;
}

/**
 * B, already paired with A, drops the link and dials again: from the dial until A's `bench`
 * handler has B's first sealed frame. A disconnect holds, so neither side's redialer steps in.
 */
async function redialToFirstFrame(a: RunningNode, b: RunningNode, arrived: () => Promise<number>) {
  const aId = a.identity.nodeId;
  const bId = b.identity.nodeId;
  const aGone = status(a, bId, "offline");
  b.fabric.hub.disconnect(aId, "bench redial");
  await within(5_000, "the dropped link to show offline", aGone);
  const expectKey = a.identity.publicKey;
  const first = arrived();
  const started = performance.now();
  await b.fabric.hub.dial(peerAddress(a), { expectKey, expectId: aId });
  if (!b.fabric.hub.sendRaw(aId, "bench", { seq: 0, body: "first" } satisfies BenchData))
    throw new Error("the new link closed before its first frame");
  return (await within(5_000, "the first sealed frame", first)) - started;
}

/** The pairs: fresh nodes each time, a `bench` handler on the inviting side. */
async function pairingFigures() {
  const redeemMs: number[] = [];
  const dialMs: number[] = [];
  for (let i = 0; i <= pairs; i++) {
    const a = await node(`bench-a${i}`);
    const b = await node(`bench-b${i}`);
    let waiting: ((at: number) => void) | undefined;
    a.fabric.hub.handle("bench", benchData, () => {
      waiting?.(performance.now());
      waiting = undefined;
    });
    const arrived = () => new Promise<number>((resolve) => (waiting = resolve));
    const ms = await redeem(a, b);
    const dial = await redialToFirstFrame(a, b, arrived);
    // Pair 0 warms the code paths up and is not counted.
    if (i > 0) {
      redeemMs.push(ms);
      dialMs.push(dial);
    }
    await b.stop();
    await a.stop();
  }
  return { redeemMs, dialMs };
}

/** One end sending and the other counting: what the throughput rounds alternate between. */
interface Flow {
  send(seq: number): void;
  delivered(): number;
  /** Called by the receiving end on each delivery. */
  onDelivery(wake: () => void): void;
  close(): Promise<void>;
}

/**
 * Sends on `flow` under the window for `s` seconds, then waits until all of it is delivered;
 * returns messages per second from the first send to the last delivery, so a round starts with
 * nothing in flight and counts everything it sent.
 */
async function windowed(flow: Flow, s: number): Promise<number> {
  let sent = 0;
  let wake: (() => void) | undefined;
  let wakeAt = WINDOW / 2;
  const base = flow.delivered();
  const delivered = () => flow.delivered() - base;
  flow.onDelivery(() => {
    if (wake && sent - delivered() <= wakeAt) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  const caughtUp = () =>
    within(5_000, "deliveries to catch up", new Promise<void>((resolve) => (wake = resolve)));
  const started = performance.now();
  while (performance.now() - started < s * 1000) {
    while (sent - delivered() < WINDOW) flow.send(sent++);
    await caughtUp();
  }
  wakeAt = 0;
  if (delivered() < sent) await caughtUp();
  return sent / ((performance.now() - started) / 1000);
}

/** Sealed `bench` frames from B to A over a direct link, with the rate limit raised. */
async function sealedFlow(): Promise<Flow & { frameBytes(): number }> {
  const raised = { "network.rateLimitPerSec": 1_000_000, "network.rateLimitBurst": 10_000_000 };
  const a = await node("bench-sink", raised);
  const b = await node("bench-source", raised);
  let count = 0;
  let notify = () => {};
  a.fabric.hub.handle("bench", benchData, () => {
    count++;
    notify();
  });
  await redeem(a, b);
  const session = b.fabric.hub.session(a.identity.nodeId);
  if (!session) throw new Error("no session");
  const bytesBefore = session.stats.bytesOut;
  const msgsBefore = session.stats.msgsOut;
  return {
    send(seq) {
      if (!session.sendRaw("bench", { seq, body: payload } satisfies BenchData))
        throw new Error("link closed");
    },
    delivered: () => count,
    onDelivery(wake) {
      notify = wake;
    },
    frameBytes: () => (session.stats.bytesOut - bytesBefore) / (session.stats.msgsOut - msgsBefore),
    async close() {
      const rejects = a.fabric.hub.rejects;
      if (Object.keys(rejects).length > 0) throw new Error(`frames refused: ${JSON.stringify(rejects)}`);
      await b.stop();
      await a.stop();
    },
  };
}

/** Raw Bun WebSocket: a client sending 1 KiB strings to a `Bun.serve` sink that only counts. */
async function rawFlow(): Promise<Flow> {
  let count = 0;
  let notify = () => {};
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      return srv.upgrade(req) ? undefined : new Response("upgrade", { status: 426 });
    },
    websocket: {
      maxPayloadLength: 16 * 1024 * 1024,
      message(_ws: ServerWebSocket<undefined>, _msg) {
        count++;
        notify();
      },
    },
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.port}/`);
  await new Promise<void>((resolve, reject) => {
    client.addEventListener("open", () => resolve());
    client.addEventListener("error", () => reject(new Error("raw client failed")));
  });
  return {
    send: () => client.send(payload),
    delivered: () => count,
    onDelivery(wake) {
      notify = wake;
    },
    async close() {
      client.close();
      await server.stop(true);
    },
  };
}

/**
 * Sealed and raw in alternating rounds, each after a warm-up, so noise from the rest of the
 * machine falls on both alike; the median round of each.
 */
async function throughputFigures() {
  const sealed = await sealedFlow();
  const raw = await rawFlow();
  const rates = await alternatingRounds<Flow>(sealed, raw, windowed, {
    seconds,
    rounds: ROUNDS,
    warmupS: WARMUP_S,
  });
  const frameBytes = sealed.frameBytes();
  await sealed.close();
  await raw.close();
  return { sealed: rates.a, raw: rates.b, frameBytes };
}

const { redeemMs, dialMs } = await pairingFigures();
const throughput = await throughputFigures();
for (const folder of folders) rmSync(folder, { recursive: true, force: true });

console.log(
  JSON.stringify({
    bench: "fabric",
    pairs,
    warmup_pairs: 1,
    redeem_to_both_connected_ms_median: round(median(redeemMs), 2),
    redeem_to_both_connected_ms_max: round(Math.max(...redeemMs), 2),
    dial_to_first_sealed_frame_ms_median: round(median(dialMs), 2),
    dial_to_first_sealed_frame_ms_max: round(Math.max(...dialMs), 2),
    throughput_s: seconds,
    throughput_rounds: ROUNDS,
    payload_bytes: PAYLOAD_BYTES,
    sealed_frame_bytes: Math.round(throughput.frameBytes),
    sealed_1kib_msgs_per_s: Math.round(throughput.sealed),
    raw_ws_1kib_msgs_per_s: Math.round(throughput.raw),
    ratio: round(throughput.sealed / throughput.raw, 3),
    budget: {
      redeem_to_both_connected_ms: 25,
      dial_to_first_sealed_frame_ms: 7,
      sealed_1kib_msgs_per_s: 50_000,
    },
  }),
);
process.exit(0);
