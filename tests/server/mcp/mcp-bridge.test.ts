import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { runMcpBridge } from "../../../server/mcp/mcp-bridge.ts";
import { loadOrCreateMcpToken } from "../../../server/mcp/mcp-token.ts";
import { resultJson } from "../../helpers/mcp-client.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const repo = join(import.meta.dir, "..", "..", "..");
const pool = nodePool();

/** Runs the bridge in this process on `dataDir` with empty stdio, and what it said. */
async function bridgeAlone(dataDir: string): Promise<{ code: number; said: string[] }> {
  const said: string[] = [];
  const stdin = new PassThrough();
  stdin.end();
  const code = await runMcpBridge(dataDir, { stdin, stdout: new PassThrough(), say: (l) => said.push(l) });
  return { code, said };
}

describe("weft mcp", () => {
  test("with no node on the data dir it says so in one line and exits 2", async () => {
    const empty = tempDir();
    expect(await bridgeAlone(empty)).toEqual({
      code: 2,
      said: [`weft mcp: no weft node is running on ${empty} (start one with: weft --data-dir ${empty})`],
    });
    // A record a crashed node left behind, with a pid no process has, counts as no node.
    loadOrCreateMcpToken(empty);
    writeFileSync(
      join(empty, "node.json"),
      JSON.stringify({
        pid: 2 ** 22 + 1, // above Linux's largest pid_max
        port: 9,
        url: "http://127.0.0.1:9/",
      }),
    );
    const stale = await bridgeAlone(empty);
    expect(stale.code).toBe(2);
    expect(stale.said).toHaveLength(1);
    expect(stale.said[0]).toContain("no weft node is running");
  });

  test("a client that spawns it reaches the running node's tools, progress notifications included", async () => {
    const lisbon = await pool.start({
      name: "lisbon",
      askPeer: async (_peer, prompt, onProgress) => {
        onProgress("relaying");
        await Bun.sleep(10);
        onProgress("answered");
        return { ok: true, answer: `echo: ${prompt}` };
      },
    });
    const porto = await pool.start({ name: "porto" });
    expect((await pair(porto, await mintInvite(lisbon))).body.ok).toBe(true);
    await eventually(() => peerRow(lisbon, porto.identity.nodeId)?.status === "connected", "the link");

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repo, "server/main.ts"), "mcp", "--data-dir", lisbon.dataDir],
      env: { PATH: process.env.PATH ?? "" },
      stderr: "pipe",
    });
    const client = new Client({ name: "spawner", version: "1.0.0" });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools).toHaveLength(6);
      const peers = resultJson<{ peers: Array<{ node_id: string }> }>(
        await client.callTool({ name: "list_peers", arguments: {} }),
      );
      expect(peers.peers.map((p) => p.node_id)).toEqual([porto.identity.nodeId]);
      const progress: Progress[] = [];
      const asked = await client.callTool(
        { name: "ask_peer", arguments: { peer_id: porto.identity.nodeId, prompt: "tide?" } },
        undefined,
        { onprogress: (p) => progress.push(p) },
      );
      expect(resultJson(asked)).toMatchObject({ answer: "echo: tide?" });
      expect(progress.map((p) => p.message)).toEqual(["relaying", "answered"]);
    } finally {
      await client.close();
    }
  }, 30_000); // spawning bun on the source takes seconds on a busy machine
});
