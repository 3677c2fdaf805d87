import { afterAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { ChatPage } from "../../../protocol/chat.ts";
import { quoteArg, writeProgram } from "../../helpers/agent-programs.ts";
import {
  callNode,
  LOCAL_NODE_ARGS,
  lonelyBinary,
  pairBinaries,
  type RunningBinary,
  runBinary,
  startBinary,
} from "../../helpers/binary.ts";
import { waitFor } from "../../helpers/browser.ts";
import { connectClient, httpTransport, mcpToken, mcpUrl, resultJson } from "../../helpers/mcp-client.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const running: RunningBinary[] = [];
const clients: Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await Promise.all(running.filter((n) => n.proc.exitCode === null).map((n) => n.signal()));
});

/** A compiled node alone in its folder, with its data dir at `<folder>/data`. */
async function startNode(name: string): Promise<{ node: RunningBinary; bin: string; dataDir: string }> {
  const copy = lonelyBinary();
  const node = await startBinary(copy.bin, [...LOCAL_NODE_ARGS, "--name", name], copy.dir);
  running.push(node);
  return { node, bin: copy.bin, dataDir: join(copy.dir, "data") };
}

describe("the compiled binary's MCP endpoint", () => {
  test("a client spawning `weft mcp` lists the tools, sees the peer and sends it a chat; HTTP works with the token file", async () => {
    const lisbon = await startNode("lisbon");
    const porto = await startNode("porto");
    const { aId, bId } = await pairBinaries(lisbon.node, porto.node);

    const transport = new StdioClientTransport({
      command: lisbon.bin,
      args: ["mcp", "--data-dir", lisbon.dataDir],
      env: { PATH: process.env.PATH ?? "", HOME: tempDir() },
      stderr: "pipe",
    });
    const stdio = new Client({ name: "spawner", version: "1.0.0" });
    await stdio.connect(transport);
    clients.push(stdio);
    expect((await stdio.listTools()).tools.map((t) => t.name).sort()).toEqual([
      "ask_peer",
      "list_peers",
      "list_shared_panes",
      "read_chat",
      "read_shared_pane",
      "send_chat",
    ]);
    const peers = resultJson<{ peers: Array<{ node_id: string; name: string; status: string }> }>(
      await stdio.callTool({ name: "list_peers", arguments: {} }),
    );
    expect(peers.peers).toEqual([
      expect.objectContaining({ node_id: bId, name: "porto", status: "connected" }),
    ]);
    const sent = resultJson<{ id: string }>(
      await stdio.callTool({ name: "send_chat", arguments: { peer_id: bId, text: "over stdio" } }),
    );
    await waitFor(
      async () => {
        const page = await callNode<ChatPage>(porto.node, "GET", `/api/chat/${aId}/messages`);
        return page.messages.some((m) => m.id === sent.id && m.text === "over stdio" && m.direction === "in");
      },
      "the message at porto",
      10_000,
    );

    // Over HTTP, with the token as the data dir holds it: the user's secret, mode 0600.
    expect(statSync(join(lisbon.dataDir, "mcp-token")).mode & 0o777).toBe(0o600);
    const http = await connectClient(httpTransport(mcpUrl(lisbon.node.port), mcpToken(lisbon.dataDir)));
    clients.push(http);
    const overHttp = resultJson<{ messages: Array<{ id: string; text: string }> }>(
      await http.callTool({ name: "read_chat", arguments: { peer_id: bId } }),
    );
    expect(overHttp.messages.map((m) => [m.id, m.text])).toEqual([[sent.id, "over stdio"]]);
    const wrong = await fetch(mcpUrl(lisbon.node.port), {
      method: "POST",
      headers: { authorization: "Bearer nope", "content-type": "application/json" },
      body: "{}",
    });
    expect(wrong.status).toBe(401);
  });

  test("an MCP client of one compiled node asks the other's command agent over stdio, with progress, and gets the answer", async () => {
    const lisbon = await startNode("lisbon");
    const porto = await startNode("porto");
    const { bId } = await pairBinaries(lisbon.node, porto.node);
    const program = writeProgram('cat > /dev/null; printf "the ferry "; sleep 0.2; printf "leaves at six"');
    await callNode(porto.node, "PUT", "/api/settings", {
      "agent.allowRemote": true,
      "agent.defaultApproval": "always",
      "agent.backend": "command",
      "agent.command": quoteArg(program),
    });
    const client = new Client({ name: "my-agent", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: lisbon.bin,
        args: ["mcp", "--data-dir", lisbon.dataDir],
        env: { PATH: process.env.PATH ?? "", HOME: tempDir() },
        stderr: "pipe",
      }),
    );
    clients.push(client);
    const progress: string[] = [];
    const result = await client.callTool(
      { name: "ask_peer", arguments: { peer_id: bId, prompt: "when does the ferry leave?" } },
      undefined,
      { onprogress: (p) => void progress.push(String(p.message ?? "")) },
    );
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain("the ferry leaves at six");
    expect(progress.join("")).toContain("the ferry ");
    // Porto's node lists the question, answered at once by its policy.
    const { asks } = await callNode<{ asks: Array<{ prompt: string; state: string; decision: string }> }>(
      porto.node,
      "GET",
      "/api/network/agent-requests",
    );
    expect(asks[0]).toMatchObject({
      prompt: "when does the ferry leave?",
      state: "done",
      decision: "always",
    });
  });

  test("`weft mcp` on a data dir no node runs on says so in one line and exits 2", () => {
    const { dir, bin } = lonelyBinary();
    const empty = join(dir, "nothing-here");
    const result = runBinary(bin, ["mcp", "--data-dir", empty], dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      `weft mcp: no weft node is running on ${empty} (start one with: weft --data-dir ${empty})`,
    ]);
  });
});
