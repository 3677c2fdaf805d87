/**
 * A program compiled on its own by tests/e2e/binary/redis-backplane.test.ts, as the weft binary
 * is built, to show the Redis backplane works inside a compiled executable: two instances on one
 * Redis (argv[2]) see each other's nodes and deliver text and bytes, and after the Redis goes
 * away and comes back they are degraded, then ok with their state published again. One JSON line
 * per step on stdout.
 */
import type { BackplaneHealth, BackplaneListener, HeldNode } from "../../lobby/backplane/backplane.ts";
import { RedisBackplane } from "../../lobby/backplane/redis-backplane.ts";

const url = process.argv[2] ?? "";
const say = (step: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ step, ...extra })}\n`);

function listener(name: string, frames: Array<string | Uint8Array>, nodes: HeldNode[]): BackplaneListener {
  return {
    delivery: (_to, frame) => frames.push(frame),
    nodeChanged: (node) => nodes.push(node),
    nodeLeft() {},
    replaced() {},
    guestExpired() {},
    seatLost() {},
    health: (status: BackplaneHealth) => say("health", { instance: name, status }),
  };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

const framesA: Array<string | Uint8Array> = [];
const nodesB: HeldNode[] = [];
const a = new RedisBackplane({ url, instance: "compiled-a", retryMaxMs: 300 });
const b = new RedisBackplane({ url, instance: "compiled-b", retryMaxMs: 300 });
await a.start(listener("compiled-a", framesA, []));
await b.start(listener("compiled-b", [], nodesB));
const node = {
  nodeId: "abcdefghijklmnop",
  publicKey: Buffer.alloc(32, 7).toString("base64"),
  name: "compiled",
  capabilities: [],
  addresses: [],
  listed: true,
  since: Date.now(),
};
await a.register(node);
await until(() => nodesB.some((n) => n.nodeId === node.nodeId));
await b.deliver(node.nodeId, "text frame");
await b.deliver(node.nodeId, new Uint8Array([0x52, 0, 255, 128]));
await until(() => framesA.length === 2);
say("ready", { text: framesA[0], bytes: [...(framesA[1] as Uint8Array)] });

await until(() => a.health() === "degraded" && b.health() === "degraded", 30_000);
await until(() => a.health() === "ok" && b.health() === "ok", 30_000);
const held = await b.node(node.nodeId);
await b.deliver(node.nodeId, "after");
await until(() => framesA.includes("after"));
say("caught up", { instance: held?.instance });
await Promise.all([a.stop(), b.stop()]);
process.exit(0);
