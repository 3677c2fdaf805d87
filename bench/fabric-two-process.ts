/**
 * `bun bench/fabric.ts --two-process`: sealed 1 KiB frames per second from this process to a
 * compiled binary in another, beside raw Bun WebSocket 1 KiB strings from this process to a tiny
 * sink in another (bench/raw-ws-sink.ts), so each end has a core and a JS thread of its own.
 *
 * The sender is a node in this process, paired with the binary over REST like any user's. It sends
 * `collab_awareness` for a room the binary never opened: every frame runs the binary's whole inbound
 * pipeline (size, binary header, counter, AES-GCM open, JSON guard, data schema, rate limit, the
 * trust check and the collab handler, which drops it) without chat's or collab's storage, and the
 * binary counts it in `msgs_in`, read over its `/ws` as the Monitor pane reads it. The raw sink
 * answers its count over a second socket the same way, so both figures are counted alike: at the
 * receiver, after the receiver handled the message.
 *
 * Same window as the in-process figure: at most `WINDOW` messages undelivered, a round ends when
 * all it sent is counted, rounds alternate sealed and raw, each figure is its median round. CPU
 * µs per frame at each end (from `/proc`) say which end limits a figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../server/log.ts";
import { startNode } from "../server/node.ts";
import { alternatingRounds, round, within } from "./bench-stats.ts";
import { processCpuMs, startBinary } from "./binary-node.ts";

const PAYLOAD_BYTES = 1024;
const WINDOW = 16_384;
const WARMUP_S = 0.5;
const ROUNDS = 3;
/**
 * How often the sender asks the receiver how far it got while the window is full. Each question
 * costs the receiving process work of its own; every 5 ms is ample for a window of 16,384.
 */
const POLL_MS = 5;
/** js-libp2p TCP + Noise + Yamux, 1 KiB messages between two processes on this machine. */
const LIBP2P_MSGS_PER_S = 46_000;

function selfCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** A sender and a way to ask the other process how many of its messages it has handled. */
interface RemoteFlow {
  send(seq: number): void;
  /** CPU ms used so far by the sending and the receiving process. */
  cpuMs(): { sender: number; receiver: number };
  count(): Promise<number>;
  close(): Promise<void>;
}

/** Requests answered in order on one socket: each answer settles the oldest question. */
function askingSocket(ask: () => void) {
  const waiting: Array<(n: number) => void> = [];
  return {
    answer(n: number) {
      waiting.shift()?.(n);
    },
    count: () =>
      within(
        5_000,
        "the receiver's count",
        new Promise<number>((resolve) => {
          waiting.push(resolve);
          ask();
        }),
      ),
  };
}

/** CPU used per flow over all its rounds, to tell which end limits the rate. */
const cpuTally = new Map<RemoteFlow, { frames: number; sender: number; receiver: number }>();

/** CPU µs per frame at each end of `flow`, over every round it ran. */
function cpuPerFrame(flow: RemoteFlow): { sender_us: number; receiver_us: number } {
  const t = cpuTally.get(flow) ?? { frames: 1, sender: 0, receiver: 0 };
  return {
    sender_us: round((t.sender * 1000) / t.frames, 2),
    receiver_us: round((t.receiver * 1000) / t.frames, 2),
  };
}

/**
 * Sends for `s` seconds under the window, then until everything sent is counted at the other end;
 * messages per second from the first send to the last count.
 */
async function windowed(flow: RemoteFlow, s: number): Promise<number> {
  const base = await flow.count();
  const cpuBefore = flow.cpuMs();
  let sent = 0;
  let delivered = 0;
  let lastProgress = performance.now();
  const poll = async () => {
    await Bun.sleep(POLL_MS);
    const now = (await flow.count()) - base;
    if (now > delivered) lastProgress = performance.now();
    else if (performance.now() - lastProgress > 5_000) throw new Error("the receiver stopped counting");
    delivered = now;
  };
  const started = performance.now();
  while (performance.now() - started < s * 1000) {
    while (sent - delivered < WINDOW) flow.send(sent++);
    while (sent - delivered > WINDOW / 2) await poll();
  }
  while (delivered < sent) await poll();
  const cpuAfter = flow.cpuMs();
  const tally = cpuTally.get(flow) ?? { frames: 0, sender: 0, receiver: 0 };
  tally.frames += sent;
  tally.sender += cpuAfter.sender - cpuBefore.sender;
  tally.receiver += cpuAfter.receiver - cpuBefore.receiver;
  cpuTally.set(flow, tally);
  return sent / ((performance.now() - started) / 1000);
}

/** Sealed frames from a node in this process to the binary, counted by the binary. */
async function sealedFlow(binary: string): Promise<RemoteFlow & { frameBytes(): number }> {
  const receiver = await startBinary(binary, "bench-sink");
  await receiver.api("PUT", "/api/settings", {
    "network.rateLimitPerSec": 1_000_000,
    "network.rateLimitBurst": 10_000_000,
  });
  const folder = mkdtempSync(join(tmpdir(), "weft-bench-"));
  const sender = await startNode(
    {
      port: 0,
      portExplicit: true,
      host: "127.0.0.1",
      dataDir: join(folder, "data"),
      name: "bench-source",
      logLevel: "error",
    },
    silentLogger,
  );
  const { invite } = await receiver.api<{ invite: string }>("POST", "/api/network/invite", {});
  const paired = await sender.fabric.hub.pair(invite);
  if (!paired.ok) throw new Error(`pairing failed: ${paired.error}`);
  const session = sender.fabric.hub.session(receiver.nodeId);
  if (!session) throw new Error("no session to the binary");
  const senderId = sender.identity.nodeId;

  const tab = await receiver.browser();
  const asking = askingSocket(() => tab.send({ channel: "network", event: "list_metrics", data: {} }));
  tab.on((event, data) => {
    if (event !== "peer_metrics") return;
    const rows = (data as { metrics: Array<{ node_id: string; msgs_in: number }> }).metrics;
    asking.answer(rows.find((r) => r.node_id === senderId)?.msgs_in ?? 0);
  });

  const data = { room: "bench-sink:frames", owner: senderId, update: "A".repeat(PAYLOAD_BYTES) };
  const bytesBefore = session.stats.bytesOut;
  const msgsBefore = session.stats.msgsOut;
  return {
    send() {
      if (!session.send("collab_awareness", data)) throw new Error("link to the binary closed");
    },
    count: asking.count,
    cpuMs: () => ({ sender: selfCpuMs(), receiver: receiver.cpuMs() }),
    frameBytes: () => (session.stats.bytesOut - bytesBefore) / (session.stats.msgsOut - msgsBefore),
    async close() {
      await sender.stop();
      await receiver.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Raw 1 KiB strings from a client in this process to bench/raw-ws-sink.ts in another. */
async function rawFlow(): Promise<RemoteFlow> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "raw-ws-sink.ts")], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await within(10_000, "the raw sink to start", reader.read());
    if (done) throw new Error("the raw sink exited");
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number(out.trim());
  const open = async (path: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    await within(
      5_000,
      "the raw sink's socket",
      new Promise<void>((resolve, reject) => {
        ws.addEventListener("open", () => resolve());
        ws.addEventListener("error", () => reject(new Error("raw client failed")));
      }),
    );
    return ws;
  };
  const sink = await open("/sink");
  const control = await open("/count");
  const asking = askingSocket(() => control.send("count"));
  control.addEventListener("message", (e) => asking.answer(Number(e.data)));
  const payload = "x".repeat(PAYLOAD_BYTES);
  return {
    send: () => sink.send(payload),
    count: asking.count,
    cpuMs: () => ({ sender: selfCpuMs(), receiver: processCpuMs(proc.pid) }),
    async close() {
      sink.close();
      control.close();
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Runs the two-process figures against `binary` and prints one JSON line. */
export async function twoProcess(binary: string, seconds: number): Promise<void> {
  const sealed = await sealedFlow(binary);
  const raw = await rawFlow();
  const rates = await alternatingRounds<RemoteFlow>(sealed, raw, windowed, {
    seconds,
    rounds: ROUNDS,
    warmupS: WARMUP_S,
  });
  const frameBytes = sealed.frameBytes();
  await sealed.close();
  await raw.close();
  const sealedRate = rates.a;
  const rawRate = rates.b;
  console.log(
    JSON.stringify({
      bench: "fabric",
      mode: "two-process",
      binary,
      throughput_s: seconds,
      throughput_rounds: ROUNDS,
      payload_bytes: PAYLOAD_BYTES,
      sealed_frame_bytes: Math.round(frameBytes),
      sealed_1kib_msgs_per_s: Math.round(sealedRate),
      raw_ws_1kib_msgs_per_s: Math.round(rawRate),
      ratio: round(sealedRate / rawRate, 3),
      vs_libp2p: round(sealedRate / LIBP2P_MSGS_PER_S, 2),
      sealed_cpu_per_frame: cpuPerFrame(sealed),
      raw_cpu_per_frame: cpuPerFrame(raw),
      budget: { sealed_1kib_msgs_per_s: 2 * LIBP2P_MSGS_PER_S, ratio: 0.3 },
    }),
  );
}
