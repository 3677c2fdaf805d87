/**
 * Shared-pane figures with real nodes in this process (real sockets, SQLite, silent logs). Prints
 * one JSON line:
 *
 * - keystroke latency: a character typed in a tab on node A → applied in a tab on node B (tab →
 *   A → B → tab, three socket hops), p50 / p99 over `--keys` keystrokes, one at a time;
 * - convergence: `--nodes` nodes × 2 tabs each typing `--edits` characters at random positions
 *   at once, in one room of the first node shared with all others (each opens it by its address,
 *   `<key>@<owner>`); the time until every tab
 *   holds the same text, and how many typed characters are missing from it (must be 0).
 *
 *   bun bench/collab.ts [--keys 500] [--nodes 10] [--edits 100]
 *
 * `BENCH_TRACE=1` prints each keystroke slower than 2 ms to stderr, to see where a tail comes from.
 */
import { parseArgs } from "node:util";
import type { RunningNode } from "../server/node.ts";
import { type CollabTab, collabTab } from "../tests/helpers/collab-tab.ts";
import { mintInvite, pair } from "../tests/helpers/peer-nodes.ts";
import { seededRandom } from "../tests/helpers/seeded-random.ts";
import { startTestNode } from "../tests/helpers/test-node.ts";
import { quantile, round } from "./bench-stats.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { keys: { type: "string" }, nodes: { type: "string" }, edits: { type: "string" } },
});
const KEYS = Number(values.keys ?? 500);
const NODES = Number(values.nodes ?? 10);
const EDITS = Number(values.edits ?? 100);
const ROOM = "scratch:main";

const until = async (check: () => boolean, what: string, ms = 30_000) => {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await Bun.sleep(0);
  }
};

const started: RunningNode[] = [];
async function node(): Promise<RunningNode> {
  const n = await startTestNode();
  // Convergence sends thousands of frames a second between nodes; this measures the CRDT path.
  n.settings.update({ "network.rateLimitPerSec": 1_000_000, "network.rateLimitBurst": 10_000_000 });
  started.push(n);
  return n;
}
async function link(hubNode: RunningNode, other: RunningNode) {
  const res = await pair(other, await mintInvite(hubNode));
  if (!res.body.ok) throw new Error(`pairing failed: ${res.body.error}`);
  await until(() => hubNode.fabric.hub.session(other.identity.nodeId) !== undefined, "the link");
}

/** Resolves when `tab` has applied a frame making `check` true; checks on every message. */
function whenTab(tab: CollabTab, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const onMessage = () => {
      // The helper applies the frame in its own listener, registered first.
      if (check()) {
        tab.tab.socket.removeEventListener("message", onMessage);
        resolve();
      }
    };
    tab.tab.socket.addEventListener("message", onMessage);
  });
}

try {
  // Keystroke latency, A → B.
  const [a, b] = [await node(), await node()];
  await link(a, b);
  const tabA = await collabTab(a.port, ROOM);
  tabA.share();
  const shared = `${ROOM}@${a.identity.nodeId}`;
  await until(() => b.collab.room(shared) !== undefined, "the share");
  const tabB = await collabTab(b.port, shared);
  const latencies: number[] = [];
  for (let i = 0; i < KEYS + 20; i++) {
    const expected = tabA.text().length + 1;
    const t0 = performance.now();
    tabA.insert(expected - 1, String.fromCharCode(97 + (i % 26)));
    await whenTab(tabB, () => tabB.text().length === expected);
    if (i >= 20) latencies.push(performance.now() - t0); // the first keys warm the JIT
    if (process.env.BENCH_TRACE && performance.now() - t0 > 2)
      console.error(`slow key ${i}: ${(performance.now() - t0).toFixed(2)} ms`);
  }

  // Convergence: NODES × 2 tabs typing at once.
  const nodes = [await node()];
  for (let i = 1; i < NODES; i++) {
    const n = await node();
    await link(nodes[0]!, n);
    nodes.push(n);
  }
  const first = await collabTab(nodes[0]!.port, "scratch:bench");
  first.share();
  const benchRoom = `scratch:bench@${nodes[0]!.identity.nodeId}`;
  await until(() => nodes.slice(1).every((n) => n.collab.room(benchRoom) !== undefined), "the shares");
  const tabs: CollabTab[] = [first, await collabTab(nodes[0]!.port, "scratch:bench")];
  for (const n of nodes.slice(1)) {
    tabs.push(await collabTab(n.port, benchRoom));
    tabs.push(await collabTab(n.port, benchRoom));
  }
  const random = seededRandom(7);
  const t0 = performance.now();
  let typed = 0;
  for (let e = 0; e < EDITS; e++) {
    for (const tab of tabs) {
      tab.insert(Math.floor(random() * (tab.text().length + 1)), "x");
      typed++;
    }
    await Bun.sleep(0);
  }
  await until(
    () => tabs.every((t) => t.text().length === typed) && new Set(tabs.map((t) => t.text())).size === 1,
    "convergence",
    120_000,
  );
  const convergeMs = performance.now() - t0;
  const lost = typed - (tabs[0]?.text().length ?? 0);

  console.log(
    JSON.stringify({
      bench: "collab",
      keys: KEYS,
      keystroke_to_other_node_tab_ms_p50: round(quantile(latencies, 0.5), 3),
      keystroke_to_other_node_tab_ms_p99: round(quantile(latencies, 0.99), 3),
      nodes: NODES,
      tabs: tabs.length,
      edits_per_tab: EDITS,
      characters_typed: typed,
      converge_ms: round(convergeMs, 1),
      lost_characters: lost,
      budget: { keystroke_ms_p50: 1, keystroke_ms_p99: 5, lost_characters: 0 },
    }),
  );
} finally {
  for (const n of started) await n.stop();
}
