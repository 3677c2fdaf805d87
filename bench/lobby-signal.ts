/**
 * `signal` between two instances of one lobby, for bench/lobby-scale-out.ts: a sender registered
 * on one instance and a receiver on another, both sockets of this process, so the time in each
 * signal's `data` and the time it arrives are read off one clock. Each signal leaves the sender's
 * instance through the backplane (Redis) toward the instance that holds the receiver.
 */
import { within } from "./bench-stats.ts";
import type { Defer } from "./lobby-procs.ts";
import { newIdentity, registerNode } from "./lobby-swarm.ts";

/** A signal unanswered this long is counted lost rather than waited for. */
const LOST_AFTER_MS = 2_000;
/** Signals sent before counting: the first crossings warm both instances' paths. */
const WARMUP = 100;

/** What the cross-instance signals took. */
export interface CrossSignals {
  /** Send → receive of every signal that arrived, in ms. */
  ms: number[];
  lost: number;
  /** The first few refusals the sender heard (`error`, `undeliverable`). */
  refused: string[];
  seconds: number;
}

/** What the measurement needs. */
export interface CrossSignalOptions {
  /** `ws://…/lobby-ws` of the sender's instance. */
  fromUrl: string;
  /** `ws://…/lobby-ws` of the receiver's instance, another instance of the same lobby. */
  toUrl: string;
  count: number;
  /** Signals in flight at most; 1 sends each once the one before arrived. */
  window: number;
  defer: Defer;
}

export async function crossSignals(opts: CrossSignalOptions): Promise<CrossSignals> {
  const sender = await registerNode(opts.fromUrl, newIdentity(), {
    name: "bench-signal-from",
    listed: false,
  });
  opts.defer(() => sender.close());
  const receiver = await registerNode(opts.toUrl, newIdentity(), { name: "bench-signal-to", listed: false });
  opts.defer(() => receiver.close());

  const waiting = new Map<number, (ms: number) => void>();
  receiver.onMessage = (msg) => {
    if (msg.type !== "signal" || msg.from !== sender.id.nodeId) return;
    const data = msg.data as { i?: unknown; t?: unknown } | null;
    if (typeof data?.i !== "number" || typeof data.t !== "number") return;
    waiting.get(data.i)?.(performance.now() - data.t);
  };
  const refused: string[] = [];
  sender.onMessage = (msg) => {
    if (refused.length >= 3) return;
    if (msg.type === "error") refused.push(`error ${msg.code}: ${msg.message}`);
    else if (msg.type === "undeliverable") refused.push(`undeliverable to ${msg.to}`);
  };

  /** One signal's send → receive in ms, or -1 when it did not arrive within `ms`. */
  const one = (i: number, ms = LOST_AFTER_MS) =>
    new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(i);
        resolve(-1);
      }, ms);
      waiting.set(i, (took) => {
        clearTimeout(timer);
        waiting.delete(i);
        resolve(took);
      });
      sender.send({ type: "signal", to: receiver.id.nodeId, data: { i, t: performance.now() } });
    });

  // The receiver's registration reaches the sender's instance through the backplane: until a
  // signal crosses, nothing is measured.
  await within(
    10_000,
    "a first signal across instances",
    (async () => {
      for (let i = -1; (await one(i, 250)) < 0; i--) {}
    })(),
  );

  const run = async (from: number, count: number) => {
    const ms: number[] = [];
    let lost = 0;
    let next = from;
    const worker = async () => {
      while (next < from + count) {
        const took = await one(next++);
        if (took < 0) lost += 1;
        else ms.push(took);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.window) }, worker));
    return { ms, lost };
  };
  await run(1_000_000_000, WARMUP);
  refused.length = 0;
  const started = performance.now();
  const { ms, lost } = await run(0, opts.count);
  return { ms, lost, refused, seconds: (performance.now() - started) / 1000 };
}
