/**
 * `bun bench/fabric.ts --cold`: pairing as a user first meets it. Each sample starts two fresh
 * binaries (new data dirs, nothing run in them yet but `/api/health`, a tab's `/ws` and minting
 * the invite), then times B's `POST /api/network/pair` with A's invite until both tabs have been
 * told the other node is `connected`. The median and max of `samples`.
 */
import { median, round, within } from "./bench-stats.ts";
import { type BinaryNode, type BrowserSocket, startBinary } from "./binary-node.ts";

/** Resolves once the tab `socket` is told that `peerId` is connected. */
function connected(socket: BrowserSocket, peerId: string): Promise<void> {
  return new Promise((resolve) => {
    const off = socket.on((event, data) => {
      const peer =
        event === "peer_update" ? (data as { peer: { node_id: string; status: string } }).peer : null;
      if (peer?.node_id === peerId && peer.status === "connected") {
        off();
        resolve();
      }
    });
  });
}

async function sample(binary: string, i: number): Promise<number> {
  const [a, b] = await Promise.all([startBinary(binary, `cold-a${i}`), startBinary(binary, `cold-b${i}`)]);
  const nodes: BinaryNode[] = [a, b];
  try {
    const [tabA, tabB] = await Promise.all([a.browser(), b.browser()]);
    const { invite } = await a.api<{ invite: string }>("POST", "/api/network/invite", {});
    const both = Promise.all([connected(tabA, b.nodeId), connected(tabB, a.nodeId)]);
    const started = performance.now();
    const result = await b.api<{ ok: boolean; error?: string }>("POST", "/api/network/pair", { invite });
    if (!result.ok) throw new Error(`pairing failed: ${result.error}`);
    await within(5_000, "both sides connected", both);
    return performance.now() - started;
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

/** Runs `samples` cold pairings of `binary` and prints one JSON line. */
export async function cold(binary: string, samples: number): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push(await sample(binary, i));
  console.log(
    JSON.stringify({
      bench: "fabric",
      mode: "cold",
      binary,
      samples,
      cold_redeem_to_both_connected_ms_median: round(median(ms), 2),
      cold_redeem_to_both_connected_ms_max: round(Math.max(...ms), 2),
      budget: { cold_redeem_to_both_connected_ms: 25 },
    }),
  );
}
