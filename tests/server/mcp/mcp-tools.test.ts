import { describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import * as Y from "yjs";
import type { ChatPage } from "../../../protocol/chat.ts";
import type { AskPeer } from "../../../server/mcp/ask-peer.ts";
import type { RunningNode } from "../../../server/node.ts";
import { quoteArg, writeProgram } from "../../helpers/agent-programs.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { clientPool, resultJson, resultText } from "../../helpers/mcp-client.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();
const clients = clientPool();

/** Two real nodes, paired and linked; `lisbon` may bring its own way of asking agents. */
async function paired(askPeer?: AskPeer): Promise<[RunningNode, RunningNode]> {
  const lisbon = await pool.start({ name: "lisbon", ...(askPeer ? { askPeer } : {}) });
  const porto = await pool.start({ name: "porto" });
  expect((await pair(porto, await mintInvite(lisbon))).body.ok).toBe(true);
  await eventually(() => peerRow(lisbon, porto.identity.nodeId)?.status === "connected", "the link");
  await eventually(() => peerRow(porto, lisbon.identity.nodeId)?.status === "connected", "the link back");
  return [lisbon, porto];
}

/** Polls `read` until `done` holds for what it gives, or fails naming `what`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  client.callTool({ name, arguments: args });

describe("the MCP tools", () => {
  test("six tools are listed, each with an object schema, and the two that send say so", async () => {
    const node = await pool.start();
    const { tools } = await (await clients.node(node)).listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual([
      "ask_peer",
      "list_peers",
      "list_shared_panes",
      "read_chat",
      "read_shared_pane",
      "send_chat",
    ]);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.description?.length).toBeGreaterThan(20);
    }
    expect(byName.get("send_chat")?.inputSchema).toMatchObject({
      properties: { peer_id: { type: "string" }, text: { type: "string" } },
      required: ["peer_id", "text"],
    });
    expect(byName.get("read_chat")?.inputSchema.required).toEqual(["peer_id"]);
    for (const name of ["send_chat", "ask_peer"]) {
      const tool = byName.get(name)!;
      expect(tool.annotations).toMatchObject({
        openWorldHint: true,
        destructiveHint: false,
        readOnlyHint: false,
      });
      expect(tool.annotations?.title ?? tool.title).toContain("sends");
    }
    for (const name of ["list_peers", "read_chat", "list_shared_panes", "read_shared_pane"]) {
      expect(byName.get(name)?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    }
  });

  test("list_peers sees the paired peer connected, with its capabilities and nothing secret", async () => {
    const [lisbon, porto] = await paired();
    const listed = resultJson<{ self: unknown; peers: Array<Record<string, unknown>> }>(
      await call(await clients.node(lisbon), "list_peers"),
    );
    expect(listed.self).toEqual({ node_id: lisbon.identity.nodeId, name: "lisbon" });
    expect(listed.peers).toHaveLength(1);
    const peer = listed.peers[0]!;
    expect(peer).toMatchObject({
      node_id: porto.identity.nodeId,
      name: "porto",
      status: "connected",
      transport: "direct",
      trusted: true,
    });
    expect(peer.capabilities).toEqual(expect.arrayContaining([...porto.fabric.hub.capabilities]));
    expect(Object.keys(peer)).not.toContain("public_key");
    expect(Object.keys(peer)).not.toContain("address");
  });

  test("send_chat arrives at the peer as the Chat pane's message would, and read_chat shows it newest last", async () => {
    const [lisbon, porto] = await paired();
    const client = await clients.node(lisbon);
    const first = resultJson<{ id: string; status: string }>(
      await call(client, "send_chat", { peer_id: porto.identity.nodeId, text: "hello from the harbour" }),
    );
    expect(first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.status).toBe("sent");
    await call(client, "send_chat", { peer_id: porto.identity.nodeId, text: "second" });

    const atPorto = async () =>
      (await api<ChatPage>(porto, "GET", `/api/chat/${lisbon.identity.nodeId}/messages`)).body.messages;
    const arrived = await until(atPorto, (m) => m.length === 2, "both messages at porto");
    expect(arrived.map((m) => [m.text, m.direction, m.from])).toEqual([
      ["hello from the harbour", "in", lisbon.identity.nodeId],
      ["second", "in", lisbon.identity.nodeId],
    ]);
    expect(arrived[0]!.id).toBe(first.id);

    await eventually(
      () => lisbon.chat.page(porto.identity.nodeId, 10).messages.every((m) => m.status === "delivered"),
      "the receipts",
    );
    const read = resultJson<{ messages: Array<Record<string, unknown>>; has_more: boolean }>(
      await call(client, "read_chat", { peer_id: porto.identity.nodeId }),
    );
    expect(read.messages.map((m) => [m.text, m.direction, m.status])).toEqual([
      ["hello from the harbour", "out", "delivered"],
      ["second", "out", "delivered"],
    ]);
    expect(read.has_more).toBe(false);

    const latest = resultJson<{ messages: Array<{ text: string; seq: number }>; has_more: boolean }>(
      await call(client, "read_chat", { peer_id: porto.identity.nodeId, limit: 1 }),
    );
    expect(latest.messages.map((m) => m.text)).toEqual(["second"]);
    expect(latest.has_more).toBe(true);
    const earlier = resultJson<{ messages: Array<{ text: string }> }>(
      await call(client, "read_chat", { peer_id: porto.identity.nodeId, before: latest.messages[0]!.seq }),
    );
    expect(earlier.messages.map((m) => m.text)).toEqual(["hello from the harbour"]);

    // The peer's own agent reads it as incoming.
    const theirs = resultJson<{ messages: Array<{ text: string; direction: string }> }>(
      await call(await clients.node(porto), "read_chat", { peer_id: lisbon.identity.nodeId }),
    );
    expect(theirs.messages.map((m) => [m.text, m.direction])).toEqual([
      ["hello from the harbour", "in"],
      ["second", "in"],
    ]);
  });

  test("send_chat to a paired peer that is offline queues the message, as the Chat pane does", async () => {
    const [lisbon, porto] = await paired();
    const client = await clients.node(lisbon);
    await pool.stop(porto);
    await eventually(() => peerRow(lisbon, porto.identity.nodeId)?.status !== "connected", "the drop");
    const sent = resultJson<{ status: string }>(
      await call(client, "send_chat", { peer_id: porto.identity.nodeId, text: "for later" }),
    );
    expect(sent.status).toBe("queued");
  });

  test("a shared Scratch is listed on both nodes and read_shared_pane gives its text", async () => {
    const [lisbon, porto] = await paired();
    const tab = await collabTab(lisbon.port, "scratch:harbour");
    tab.insert(0, "ships in at noon");
    tab.share(porto.identity.nodeId);
    const lisbonClient = await clients.node(lisbon);
    type Listed = { rooms: Array<Record<string, unknown> & { room: string }> };
    const mine = await until(
      async () => resultJson<Listed>(await call(lisbonClient, "list_shared_panes")),
      (l) => l.rooms.length > 0,
      "the share to be listed",
    );
    expect(mine.rooms).toEqual([
      expect.objectContaining({
        room: "scratch:harbour",
        pane_id: "scratch",
        pane_title: "Scratch",
        owner: { node_id: lisbon.identity.nodeId, name: "lisbon" },
        mine: true,
        members: [
          { node_id: lisbon.identity.nodeId, name: "lisbon" },
          { node_id: porto.identity.nodeId, name: "porto" },
        ],
      }),
    ]);
    expect(
      resultJson<{ text: string }>(await call(lisbonClient, "read_shared_pane", { room: "scratch:harbour" }))
        .text,
    ).toBe("ships in at noon");

    // On the guest: an invitation until a tab opens it, then the owner's text.
    const address = `scratch:harbour@${lisbon.identity.nodeId}`;
    const portoClient = await clients.node(porto);
    await eventually(() => porto.collab.listing("scratch").some((r) => r.paneKey === address), "the share");
    const theirs = resultJson<Listed>(await call(portoClient, "list_shared_panes"));
    expect(theirs.rooms).toEqual([
      expect.objectContaining({
        room: address,
        owner: { node_id: lisbon.identity.nodeId, name: "lisbon" },
        mine: false,
        access: "invited",
      }),
    ]);
    const unopened = resultJson<{ text: string; note: string }>(
      await call(portoClient, "read_shared_pane", { room: address }),
    );
    expect(unopened.text).toBe("");
    expect(unopened.note).toContain("not opened");
    const guestTab = await collabTab(porto.port, address);
    await eventually(() => guestTab.text() === "ships in at noon", "the guest tab to sync");
    expect(
      resultJson<{ text: string }>(await call(portoClient, "read_shared_pane", { room: address })),
    ).toMatchObject({ text: "ships in at noon", access: "guest" });
    tab.close();
    guestTab.close();
  });

  test("a shared room whose document holds no text is read as a tool error that says so", async () => {
    const [lisbon, porto] = await paired();
    const tab = await collabTab(lisbon.port, "scratch:ledger");
    tab.share(porto.identity.nodeId);
    await eventually(() => (lisbon.collab.room("scratch:ledger")?.sharedWith.size ?? 0) > 0, "the share");
    // What a pane that keeps a list instead of text would have written, as if from the peer.
    const room = lisbon.collab.room("scratch:ledger")!;
    Y.transact(room.doc, () => room.doc.getArray("entries").push(["a"]), {
      kind: "peer",
      nodeId: porto.identity.nodeId,
    });
    const result = await call(await clients.node(lisbon), "read_shared_pane", { room: "scratch:ledger" });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toBe(
      "scratch:ledger is a Scratch pane, which keeps no text (its document holds entries)",
    );
    tab.close();
  });

  test("a room shared with nobody is neither listed nor read", async () => {
    const node = await pool.start();
    const tab = await collabTab(node.port, "scratch:private");
    tab.insert(0, "mine alone");
    await eventually(() => node.collab.room("scratch:private")?.rev === 1, "the edit");
    const client = await clients.node(node);
    expect(resultJson<{ rooms: unknown[] }>(await call(client, "list_shared_panes")).rooms).toEqual([]);
    const refused = await call(client, "read_shared_pane", { room: "scratch:private" });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toContain("no shared pane scratch:private");
    tab.close();
  });

  test("bad arguments and unknown peers are tool errors saying what is wrong, and send nothing", async () => {
    const [lisbon, porto] = await paired();
    const client = await clients.node(lisbon);
    const error = async (name: string, args: Record<string, unknown>) => {
      const result = await call(client, name, args);
      expect(result.isError).toBe(true);
      return resultText(result);
    };
    expect(await error("send_chat", { peer_id: "nope", text: "x" })).toContain(
      "must be a 16-character node id at peer_id",
    );
    expect(await error("send_chat", { peer_id: porto.identity.nodeId })).toMatch(/text/);
    expect(await error("send_chat", { peer_id: porto.identity.nodeId, text: "" })).toContain(
      "text must not be empty",
    );
    expect(await error("send_chat", { peer_id: "abcdefghijklmnop", text: "x" })).toContain(
      "no connected peer",
    );
    expect(await error("read_chat", { peer_id: porto.identity.nodeId, limit: 0 })).toContain(
      "limit must be at least 1",
    );
    expect(await error("read_chat", { peer_id: porto.identity.nodeId, limit: 2.5 })).toContain(
      "limit must be a whole number",
    );
    expect(await error("read_shared_pane", { room: "not a room" })).toContain("room");
    expect(await error("read_shared_pane", { room: "scratch:nowhere" })).toContain("no shared pane");
    expect(await error("ask_peer", { peer_id: "abcdefghijklmnop", prompt: "hi" })).toContain(
      "no connected peer",
    );
    expect(await error("ask_peer", { peer_id: porto.identity.nodeId, prompt: "   " })).toContain(
      "prompt must not be empty",
    );
    expect(porto.chat.page(lisbon.identity.nodeId, 10).messages).toEqual([]);
  });
});

describe("ask_peer", () => {
  test("streams the injected function's progress to the client as notifications, then its answer", async () => {
    const asked: Array<[string, string]> = [];
    const askPeer: AskPeer = async (peerId, prompt, onProgress) => {
      asked.push([peerId, prompt]);
      onProgress("asking porto");
      await Bun.sleep(20);
      onProgress("Low tide ");
      await Bun.sleep(20);
      onProgress("at six.");
      return { ok: true, answer: "Low tide at six." };
    };
    const [lisbon, porto] = await paired(askPeer);
    const progress: Progress[] = [];
    const result = await (await clients.node(lisbon)).callTool(
      { name: "ask_peer", arguments: { peer_id: porto.identity.nodeId, prompt: "When is low tide?" } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    expect(asked).toEqual([[porto.identity.nodeId, "When is low tide?"]]);
    expect(progress.map((p) => p.message)).toEqual(["asking porto", "Low tide ", "at six."]);
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(resultJson(result)).toEqual({
      peer_id: porto.identity.nodeId,
      name: "porto",
      answer: "Low tide at six.",
    });
  });

  test("a refusal from the injected function is a tool error with its sentence", async () => {
    const [lisbon, porto] = await paired(async () => ({ ok: false, error: "porto declined to answer" }));
    const result = await call(await clients.node(lisbon), "ask_peer", {
      peer_id: porto.identity.nodeId,
      prompt: "anything",
    });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toBe("porto declined to answer");
  });

  test("ask_peer takes the agent feature's gated path: a peer whose agent is off is refused as disabled, one that answers streams progress", async () => {
    const [lisbon, porto] = await paired();
    const client = await clients.node(lisbon);
    const refused = await call(client, "ask_peer", { peer_id: porto.identity.nodeId, prompt: "anything" });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toBe("disabled");
    const program = writeProgram('cat > /dev/null; printf "high "; sleep 0.05; printf "tide"');
    porto.settings.update({
      "agent.allowRemote": true,
      "agent.defaultApproval": "always",
      "agent.backend": "command",
      "agent.command": quoteArg(program),
    });
    const progress: string[] = [];
    const answered = await client.callTool(
      { name: "ask_peer", arguments: { peer_id: porto.identity.nodeId, prompt: "when?" } },
      undefined,
      { onprogress: (p) => void progress.push(String(p.message ?? "")) },
    );
    expect(answered.isError).toBeFalsy();
    expect(resultText(answered as never)).toContain("high tide");
    expect(progress.join("")).toContain("high ");
  });
});
