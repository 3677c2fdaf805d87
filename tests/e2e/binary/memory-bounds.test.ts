import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { binaryPool, callNode, type RunningBinary } from "../../helpers/binary.ts";
import { openTab, type TestTab } from "../../helpers/ws-client.ts";

/**
 * A tab may name as many rooms and peers as it likes; the node's memory follows what people use.
 * 20,000 distinct room keys (joined and left, or only left), 150,000 made-up node ids in
 * `disconnect` and 50,000 conversations opened in one tab must leave the compiled node's RSS within 20 MB of where it started, and nothing
 * in its database.
 */

const { start, stopAll } = binaryPool();
afterAll(stopAll);

function rssMb(node: RunningBinary): number {
  const status = readFileSync(`/proc/${node.proc.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** Sends frames in bursts and waits until the node has answered `expected` of them. */
async function pump(tab: TestTab, frames: unknown[], answered: () => number, expected: number) {
  for (let i = 0; i < frames.length; i += 500) {
    for (const frame of frames.slice(i, i + 500)) tab.send(frame);
    // Let the node keep up, so the test measures what it holds, not a queue in flight.
    const want = Math.min(expected, Math.floor(((i + 500) / frames.length) * expected));
    const deadline = Date.now() + 20_000;
    while (answered() < want) {
      if (Date.now() > deadline) throw new Error(`the node answered ${answered()} of ${want}`);
      await Bun.sleep(5);
    }
  }
}

const randomId = (i: number) => {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let s = "";
  let n = i * 2654435761;
  for (let k = 0; k < 16; k++) {
    s += alphabet[Math.abs(n) % 32];
    n = Math.floor(n / 32) + k * 7919;
  }
  return s;
};

describe("memory follows use, not what a tab sends", () => {
  test("20,000 room keys, 150,000 unknown peer ids and 50,000 opened chats leave RSS within 20 MB and the database empty", async () => {
    const node = await start("bounded");
    const tab = await openTab(node.port);
    const count = (event: string) => tab.frames.filter((f) => f.event === event).length;

    // Warm up, so the baseline holds the code paths, not their first use.
    const warm = Array.from({ length: 1000 }, (_, i) => i).flatMap((i) => [
      { channel: "collab", event: "join", data: { paneKey: `scratch:warm-${i}` } },
      { channel: "collab", event: "leave", data: { paneKey: `scratch:warm-${i}` } },
    ]);
    await pump(tab, warm, () => count("state"), 1000);
    await Bun.sleep(500);
    tab.frames.length = 0;
    const before = rssMb(node);

    const joins = Array.from({ length: 10_000 }, (_, i) => i).flatMap((i) => [
      { channel: "collab", event: "join", data: { paneKey: `scratch:k-${i}` } },
      { channel: "collab", event: "leave", data: { paneKey: `scratch:k-${i}` } },
    ]);
    await pump(tab, joins, () => count("state"), 10_000);
    tab.frames.length = 0;
    const leaves = Array.from({ length: 10_000 }, (_, i) => ({
      channel: "collab",
      event: "leave",
      data: { paneKey: `scratch:l-${i}` },
    }));
    await pump(tab, leaves, () => count("error"), 10_000);
    tab.frames.length = 0;
    const ids = Array.from({ length: 150_000 }, (_, i) => ({
      channel: "network",
      event: "disconnect",
      data: { nodeId: randomId(i) },
    }));
    await pump(tab, ids, () => count("error"), 150_000);
    tab.frames.length = 0;
    const opens = Array.from({ length: 50_000 }, (_, i) => ({
      channel: "chat",
      event: "open",
      data: { nodeId: randomId(i + 1_000_000) },
    }));
    await pump(tab, opens, () => count("history"), 50_000);
    tab.frames.length = 0;
    await Bun.sleep(1500);

    const after = rssMb(node);
    console.log(JSON.stringify({ rss_before_mb: Math.round(before), rss_after_mb: Math.round(after) }));
    expect(after - before).toBeLessThan(20);

    // Nothing was typed, so nothing was kept.
    const { data_dir } = await callNode<{ data_dir: string }>(node, "GET", "/api/about");
    const db = new Database(join(data_dir, "weft.db"), { readonly: true });
    const rooms = db.query<{ n: number }, []>("SELECT count(*) AS n FROM collab_rooms").get()?.n;
    db.close();
    expect(rooms).toBe(0);
    // And the node still answers and still works.
    const health = await fetch(`${node.url}api/health`);
    expect(health.status).toBe(200);
    tab.close();
  }, 120_000);
});
