import { afterAll, describe, expect, test } from "bun:test";
import type { ChatPage } from "../../../protocol/chat.ts";
import { callNode as call, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { chatTab } from "../../helpers/chat-tab.ts";

const running: RunningBinary[] = [];
afterAll(async () => {
  for (const n of running) if (n.proc.exitCode === null) await n.signal("SIGKILL");
});

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

async function start(dir: string, bin: string, port: number, name: string): Promise<RunningBinary> {
  const node = await startBinary(
    bin,
    ["--data-dir", "./data", "--port", String(port), "--host", "127.0.0.1", "--no-open", "--name", name],
    dir,
  );
  running.push(node);
  return node;
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const history = (node: RunningBinary, peer: string) =>
  call<ChatPage>(node, "GET", `/api/chat/${peer}/messages?limit=200`).then(async (first) => {
    const all = [...first.messages];
    let page = first;
    while (page.hasMore) {
      page = await call<ChatPage>(node, "GET", `/api/chat/${peer}/messages?limit=200&before=${all[0]!.seq}`);
      all.unshift(...page.messages);
    }
    return all;
  });

describe("chat across a crash of the receiver", () => {
  test("everything shown delivered survives a kill -9, and the rest arrives once and in order", async () => {
    const a = lonelyBinary();
    const b = lonelyBinary();
    const [portA, portB] = [freePort(), freePort()];
    let alice = await start(a.dir, a.bin, portA, "alice");
    let bob = await start(b.dir, b.bin, portB, "bob");
    const { node_id: aliceId } = await call<{ node_id: string }>(alice, "GET", "/api/network/identity");
    const { node_id: bobId } = await call<{ node_id: string }>(bob, "GET", "/api/network/identity");
    const { invite } = await call<{ invite: string }>(alice, "POST", "/api/network/invite", {});
    expect((await call<{ ok: boolean }>(bob, "POST", "/api/network/pair", { invite })).ok).toBe(true);

    const tab = await chatTab(portA);
    await tab.open(bobId);
    const TOTAL = 300;
    // Send at a steady pace and kill bob a third of the way in, so some messages are confirmed,
    // some are on the wire, and the rest are still to be sent when he dies.
    for (let i = 0; i < TOTAL; i++) {
      tab.send(bobId, `message ${String(i).padStart(3, "0")}`);
      if (i === TOTAL / 3) await bob.signal("SIGKILL");
      await Bun.sleep(1);
    }
    await until(async () => (await history(alice, bobId)).length === TOTAL, "alice to hold every message");
    const shownDelivered = (await history(alice, bobId))
      .filter((m) => m.status === "delivered")
      .map((m) => m.text);
    // The crash really landed mid-stream: some got through, and not all.
    expect(shownDelivered.length).toBeGreaterThanOrEqual(20);
    expect(shownDelivered.length).toBeLessThan(TOTAL);
    tab.tab.close();

    // Both stop; bob comes back alone, so nothing can be redelivered before we look.
    expect((await alice.signal("SIGTERM")).code).toBe(0);
    bob = await start(b.dir, b.bin, portB, "bob");
    const survived = new Set((await history(bob, aliceId)).map((m) => m.text));
    expect(shownDelivered.filter((t) => !survived.has(t))).toEqual([]);

    // With alice back, the rest arrives: every message once, in the order it was sent.
    alice = await start(a.dir, a.bin, portA, "alice");
    await until(async () => (await history(bob, aliceId)).length >= TOTAL, "every message at bob", 20_000);
    const texts = (await history(bob, aliceId)).map((m) => m.text);
    expect(texts).toEqual(Array.from({ length: TOTAL }, (_, i) => `message ${String(i).padStart(3, "0")}`));
    await until(
      async () => (await history(alice, bobId)).every((m) => m.status === "delivered"),
      "alice to see all delivered",
    );
  }, 60_000);
});
