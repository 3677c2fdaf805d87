/**
 * Peer chat figures with real nodes in this process (real sockets, SQLite on both sides, silent
 * logs), and tabs as raw `/ws` sockets. Prints one JSON line:
 *
 * - latency: a `send` from a tab on node A → the `message` frame in a tab on node B that shows the
 *   conversation (tab → A, stored → B, stored → tab: three socket hops and two database writes),
 *   p50 / p99 over `--messages` messages, one at a time;
 * - throughput: messages per second one way, counted when B has stored them (the receipts A's
 *   tab gets), with at most `--window` messages sent and not yet confirmed, so the figure is what
 *   is stored, not what is queued. A round sends for `--seconds` and ends when all it sent is
 *   confirmed; each figure is the median of `ROUNDS` rounds. Measured twice: while no tab on B
 *   shows the conversation (`delivered`: each arrival is stored unread and B's tabs get new unread
 *   counts; the main figure), and while one does (`read`: arrivals are read at once). B's database
 *   is checked to hold every message afterwards.
 *
 * The throughput part raises `network.rateLimitPerSec` and `network.rateLimitBurst` through the
 * settings, as a real node would; each chat message is two peer frames (message, receipt).
 *
 *   bun bench/chat.ts [--messages 500] [--seconds 3] [--window 256] [--bytes 100]
 */
import { parseArgs } from "node:util";
import type { ChatMessage } from "../protocol/chat.ts";
import type { RunningNode } from "../server/node.ts";
import { mintInvite, pair } from "../tests/helpers/peer-nodes.ts";
import { startTestNode } from "../tests/helpers/test-node.ts";
import { median, quantile, round } from "./bench-stats.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    messages: { type: "string" },
    seconds: { type: "string" },
    window: { type: "string" },
    bytes: { type: "string" },
  },
});
const MESSAGES = Number(values.messages ?? 500);
const SECONDS = Number(values.seconds ?? 3);
const WINDOW = Number(values.window ?? 256);
const BYTES = Number(values.bytes ?? 100);
const WARMUP = 20;
const ROUNDS = 3;

type Frame = { channel: string; event: string; data: unknown };

const until = async (check: () => boolean, what: string, ms = 30_000) => {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await Bun.sleep(1);
  }
};

/** A browser tab reduced to its socket: every `chat` frame goes to `onChat`. */
interface BenchTab {
  send(event: string, data: unknown): void;
  onChat: (frame: Frame) => void;
  close(): void;
}

async function tab(port: number): Promise<BenchTab> {
  const socket = new WebSocket(`ws://localhost:${port}/ws`, {
    headers: { origin: `http://localhost:${port}`, host: `localhost:${port}` },
  } as never);
  const t: BenchTab = {
    send: (event, data) => socket.send(JSON.stringify({ channel: "chat", event, data })),
    onChat: () => {},
    close: () => socket.close(),
  };
  socket.addEventListener("message", (e) => {
    const frame = JSON.parse(String(e.data)) as Frame;
    if (frame.channel === "chat") t.onChat(frame);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("WebSocket refused")), { once: true });
  });
  return t;
}

/** Opens a conversation in a tab and waits for its history. */
function open(t: BenchTab, nodeId: string): Promise<void> {
  return new Promise((resolve) => {
    t.onChat = (f) => {
      if (f.event === "history") resolve();
    };
    t.send("open", { nodeId });
  });
}

const started: RunningNode[] = [];
async function node(name: string): Promise<RunningNode> {
  const n = await startTestNode({ name });
  started.push(n);
  return n;
}

try {
  const [a, b] = [await node("a"), await node("b")];
  const res = await pair(b, await mintInvite(a));
  if (!res.body.ok) throw new Error(`pairing failed: ${res.body.error}`);
  const [aId, bId] = [a.identity.nodeId, b.identity.nodeId];
  await until(
    () => a.fabric.hub.session(bId) !== undefined && b.fabric.hub.session(aId) !== undefined,
    "link",
  );
  const tabA = await tab(a.port);
  const tabB = await tab(b.port);
  await open(tabA, bId);
  await open(tabB, aId);
  const filler = "x".repeat(Math.max(0, BYTES - 12));

  // Latency: one message at a time, A's tab → B's tab.
  const latencies: number[] = [];
  for (let i = 0; i < MESSAGES + WARMUP; i++) {
    const text = `${String(i).padStart(10, "0")} ${filler}`;
    const shown = new Promise<void>((resolve) => {
      tabB.onChat = (f) => {
        if (f.event === "message" && (f.data as ChatMessage).text === text) resolve();
      };
    });
    const t0 = performance.now();
    tabA.send("send", { nodeId: bId, text, clientId: `lat-${i}` });
    await shown;
    if (i >= WARMUP) latencies.push(performance.now() - t0); // the first ones warm the JIT
  }

  for (const n of [a, b]) {
    n.settings.update({ "network.rateLimitPerSec": 1_000_000, "network.rateLimitBurst": 10_000_000 });
  }
  let sent = 0;

  /**
   * Rounds of windowed sending; a message counts once B confirms it stored it: `delivered` while
   * no tab on B shows the conversation, `read` while one does.
   */
  async function throughput(confirmed: "delivered" | "read"): Promise<number[]> {
    let stored = 0;
    let wake: (() => void) | undefined;
    const base = sent;
    tabA.onChat = (f) => {
      if (f.event !== "receipt") return;
      const data = f.data as { ids: string[]; status: string };
      if (data.status !== confirmed) return;
      stored += data.ids.length;
      wake?.();
    };
    const nextReceipt = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    const inFlight = () => sent - base - stored;
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS + 1; r++) {
      const roundStart = sent;
      const t0 = performance.now();
      const stop = t0 + (r === 0 ? 500 : SECONDS * 1000);
      while (performance.now() < stop) {
        while (inFlight() < WINDOW) {
          const text = `${String(sent).padStart(10, "0")} ${filler}`;
          tabA.send("send", { nodeId: bId, text, clientId: `t-${sent}` });
          sent++;
        }
        await nextReceipt();
      }
      while (inFlight() > 0) await nextReceipt();
      const ms = performance.now() - t0;
      if (r > 0) rates.push(((sent - roundStart) * 1000) / ms); // round 0 warms up
    }
    return rates;
  }

  // First with B's tab showing the conversation (arrivals are read at once), then looking away
  // (each arrival is stored unread, and every tab on B is sent the new unread counts).
  tabB.onChat = () => {};
  const viewedRates = await throughput("read");
  tabB.send("close", { nodeId: aId });
  const unreadRates = await throughput("delivered");
  const stored = storedCount(b, aId);
  const expected = sent + MESSAGES + WARMUP;
  if (stored !== expected) throw new Error(`B stored ${stored} messages, expected ${expected}`);

  console.log(
    JSON.stringify({
      bench: "chat",
      messages: MESSAGES,
      text_bytes: BYTES,
      send_to_other_node_tab_ms_p50: round(quantile(latencies, 0.5), 3),
      send_to_other_node_tab_ms_p99: round(quantile(latencies, 0.99), 3),
      window: WINDOW,
      seconds_per_round: SECONDS,
      throughput_msgs_per_s: Math.round(median(unreadRates)),
      throughput_rounds_msgs_per_s: unreadRates.map((x) => Math.round(x)),
      throughput_viewed_msgs_per_s: Math.round(median(viewedRates)),
      throughput_viewed_rounds_msgs_per_s: viewedRates.map((x) => Math.round(x)),
      throughput_messages: sent,
      stored_on_receiver: stored,
    }),
  );
  tabA.close();
  tabB.close();
} finally {
  for (const n of started) await n.stop();
}

/** How many messages from `peer` node `n` holds, paging through its history as the UI does. */
function storedCount(n: RunningNode, peer: string): number {
  let count = 0;
  let before: number | undefined;
  for (;;) {
    const page = n.chat.page(peer, 200, before);
    count += page.messages.filter((m) => m.direction === "in").length;
    const first = page.messages[0];
    if (!page.hasMore || !first) return count;
    before = first.seq;
  }
}
