import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentAsk, AskPeerResponse } from "../../../protocol/agent.ts";
import { agentFeature } from "../../../server/agents/agent-feature.ts";
import type { RunningNode } from "../../../server/node.ts";
import { noticesFeature } from "../../../server/notices/notices-feature.ts";
import { processGone, quoteArg, recordingProgram, writeProgram } from "../../helpers/agent-programs.ts";
import { startOpenAiStub } from "../../helpers/openai-stub-server.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { tempDir } from "../../helpers/temp-dir.ts";
import { openTab } from "../../helpers/ws-client.ts";

/**
 * Asking a peer's agent between two real nodes over a real link: the gate in its order, each with
 * the exact reason the asker sees; `always` and `ask` (the person approves or rejects); the answer
 * streamed from a real program; a repeated request id answered from the store.
 */
const pool = nodePool();

/** Two paired nodes, linked: `asker` asks, `asked` answers with the settings given. */
async function pairOfNodes(askedSettings: Record<string, unknown>) {
  const asker = await pool.start({ name: "lisbon" });
  const asked = await pool.start({ name: "porto" });
  expect((await pair(asker, await mintInvite(asked))).body.ok).toBe(true);
  await eventually(() => peerRow(asker, asked.identity.nodeId)?.status === "connected", "the link");
  asked.settings.update(askedSettings);
  return { asker, asked };
}

const askPeer = (from: RunningNode, to: RunningNode, prompt: string) =>
  api<AskPeerResponse>(from, "POST", "/api/network/ask-peer", { peer_id: to.identity.nodeId, prompt });

const asks = (n: RunningNode) => n.features.get(agentFeature).list();

/** A command agent that answers with its question's last line reversed, in three parts. */
function echoingAgent(): string {
  const program = writeProgram(
    'q=$(cat | tail -n 1); printf "you asked: "; sleep 0.05; printf "%s" "$q"; sleep 0.05; printf "."',
  );
  return quoteArg(program);
}

const answering = (extra: Record<string, unknown> = {}) => ({
  "agent.allowRemote": true,
  "agent.backend": "command",
  "agent.command": echoingAgent(),
  ...extra,
});

describe("asking a peer's agent", () => {
  test("with the policy always, the answer streams from the peer's program and both sides keep the ask", async () => {
    const { asker, asked } = await pairOfNodes(answering({ "agent.defaultApproval": "always" }));
    const res = await askPeer(asker, asked, "what is the plan?");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, answer: "you asked: what is the plan?." });
    const [mine] = asks(asker);
    expect(mine).toMatchObject({ direction: "out", state: "done", answer: "you asked: what is the plan?." });
    const [theirs] = asks(asked);
    expect(theirs).toMatchObject({
      direction: "in",
      state: "done",
      decision: "always",
      prompt: "what is the plan?",
    });
    expect(theirs?.request_id).toBe(mine!.request_id);
  });

  test("the gate refuses, in its order, each with the reason the asker sees", async () => {
    const { asker, asked } = await pairOfNodes({
      "agent.backend": "command",
      "agent.command": echoingAgent(),
    });
    expect((await askPeer(asker, asked, "hi")).body).toEqual({ ok: false, error: "disabled" });
    asked.settings.update({ "agent.allowRemote": true, "agent.defaultApproval": "never" });
    expect((await askPeer(asker, asked, "x".repeat(16 * 1024 + 1))).body).toEqual({
      ok: false,
      error: "prompt too large",
    });
    expect((await askPeer(asker, asked, "hi")).body).toEqual({ ok: false, error: "rejected by policy" });
    // Six a minute by default; the gate counted each question that reached the rate check.
    asked.settings.update({ "agent.ratePerMinute": 2 });
    expect((await askPeer(asker, asked, "hi")).body).toEqual({ ok: false, error: "rate limited" });
    const decided = asks(asked).map((a: AgentAsk) => a.decision);
    expect(decided).toEqual(["rate limited", "rejected by policy", "prompt too large", "disabled"]);
  });

  test("a chain that comes back is a loop and one of four hops is too long", async () => {
    const { asker, asked } = await pairOfNodes(answering({ "agent.defaultApproval": "always" }));
    // Sent as a node in the middle of a chain would send it: the chain names who asked before.
    const session = asker.fabric.hub.session(asked.identity.nodeId)!;
    const other = "aaaaaaaaaaaaaaaa";
    const ask = (id: string, chain: string[]) =>
      session.send("agent_request", { request_id: id.padEnd(32, "0"), prompt: "hi", origin_chain: chain });
    ask("1", [other, asked.identity.nodeId, asker.identity.nodeId]);
    ask("2", ["bbbbbbbbbbbbbbbb", "cccccccccccccccc", other, asker.identity.nodeId]);
    await eventually(() => asks(asked).length === 2, "both questions stored");
    const byId = new Map(asks(asked).map((a) => [a.request_id, a]));
    expect(byId.get("1".padEnd(32, "0"))?.decision).toBe("loop");
    expect(byId.get("2".padEnd(32, "0"))?.decision).toBe("max peer hops");
  });
});

describe("a question that waits for its person", () => {
  test("the asker sees waiting for approval; the person sees who asks and the whole question, and approves", async () => {
    const program = recordingProgram("answer", ["fine, ", "thanks"]);
    const { asker, asked } = await pairOfNodes(answering({ "agent.command": program.command }));
    const tab = await openTab(asked.port);
    const asking = askPeer(asker, asked, "how are you?\nsecond line");
    await eventually(() => asks(asker)[0]?.state === "waiting_approval", "the asker to see it waiting");
    const waiting = asks(asked)[0]!;
    expect(waiting).toMatchObject({
      state: "waiting_approval",
      peer_name: "lisbon",
      prompt: "how are you?\nsecond line",
    });
    const notice = asked.features.get(noticesFeature).list().notices[0];
    expect(notice?.text).toBe("lisbon asks your agent: how are you? second line");
    tab.send({
      channel: "agent",
      event: "decide",
      data: { peer_id: waiting.peer_id, request_id: waiting.request_id, approve: true },
    });
    expect((await asking).body).toEqual({ ok: true, answer: "fine, thanks" });
    // The program got the question framed as from the named peer, and nothing of the node.
    expect(program.stdin()).toBe(
      `Question from peer lisbon (${asker.identity.nodeId}).\nYou have no tools and must not take any action: answer in text only.\n\nhow are you?\nsecond line`,
    );
    expect(asks(asked)[0]).toMatchObject({ state: "done", decision: "approved" });
    tab.close();
  });

  test("rejected by the person, or left without a decision, the asker is told why", async () => {
    const { asker, asked } = await pairOfNodes(answering());
    const tab = await openTab(asked.port);
    const first = askPeer(asker, asked, "may I?");
    await eventually(() => asks(asked)[0]?.state === "waiting_approval", "the question to wait");
    const q = asks(asked)[0]!;
    tab.send({
      channel: "agent",
      event: "decide",
      data: { peer_id: q.peer_id, request_id: q.request_id, approve: false },
    });
    expect((await first).body).toEqual({ ok: false, error: "rejected by its person" });
    asked.features.get(agentFeature).answerer.approvalWaitMs = 100;
    expect((await askPeer(asker, asked, "and now?")).body).toEqual({
      ok: false,
      error: "no decision within 10 minutes",
    });
    expect(asks(asker).map((a) => a.state)).toEqual(["rejected", "rejected"]);
    tab.close();
  });
});

describe("asks that outlive a moment", () => {
  test("cancel stops the program on the peer's node and both sides say cancelled", async () => {
    const program = recordingProgram("endless", ["thinking about it"]);
    const { asker, asked } = await pairOfNodes(
      answering({ "agent.command": program.command, "agent.defaultApproval": "always" }),
    );
    const asking = askPeer(asker, asked, "take your time");
    await eventually(() => asks(asker)[0]?.state === "streaming", "the first part to arrive", 5000);
    const pid = program.pid()!;
    expect(processGone(pid)).toBe(false);
    expect(asker.features.get(agentFeature).asker.cancel(asks(asker)[0]!.request_id)).toBe(true);
    expect((await asking).body).toEqual({ ok: false, error: "cancelled" });
    await eventually(
      () => processGone(pid) && processGone(program.childPid()!),
      "the program to be stopped",
      5000,
    );
    await eventually(() => asks(asked)[0]?.state === "cancelled", "the peer to record the cancel");
  });

  test("a request id sent again is answered from what was stored, and the program runs once", async () => {
    const runs = join(tempDir("weft-agent-runs-"), "runs");
    const program = writeProgram(`echo run >> ${quoteArg(runs)}; printf "the answer"`);
    const { asker, asked } = await pairOfNodes(
      answering({ "agent.command": quoteArg(program), "agent.defaultApproval": "always" }),
    );
    const res = await askPeer(asker, asked, "once?");
    expect(res.body).toEqual({ ok: true, answer: "the answer" });
    const id = asks(asker)[0]!.request_id;
    // The asker sends it again, as it does after a link switch, and reads the stored answer back.
    const session = asker.fabric.hub.session(asked.identity.nodeId)!;
    const agentOf = asker.features.get(agentFeature);
    const before = agentOf.list().length;
    session.send("agent_request", { request_id: id, prompt: "once?", origin_chain: [asker.identity.nodeId] });
    await Bun.sleep(300);
    expect(readFileSync(runs, "utf8")).toBe("run\n");
    expect(asks(asked)).toHaveLength(1);
    expect(agentOf.list()).toHaveLength(before);
  });
});

describe("answering by hand", () => {
  test("with the inbox backend the person types the answer in the Agent pane, and the asker gets it", async () => {
    const { asker, asked } = await pairOfNodes({
      "agent.allowRemote": true,
      "agent.backend": "inbox",
      "agent.defaultApproval": "always",
    });
    const tab = await openTab(asked.port);
    const asking = askPeer(asker, asked, "lunch at one?");
    await eventually(() => asks(asked)[0]?.state === "thinking", "the question to wait for its person");
    const q = asks(asked)[0]!;
    tab.send({
      channel: "agent",
      event: "inbox_reply",
      data: { request_id: q.request_id, text: "yes, see you" },
    });
    expect((await asking).body).toEqual({ ok: true, answer: "yes, see you" });
    tab.send({ channel: "agent", event: "inbox_reply", data: { request_id: q.request_id, text: "again" } });
    const error = await tab.next((f) => f.channel === "agent" && f.event === "error");
    expect(error.data).toEqual({ message: "that question is no longer waiting for an answer" });
    tab.close();
  });
});

describe("policies and secrets", () => {
  test("a peer's policy set over REST is stored, shown in its row, audited, and decides the next question", async () => {
    const { asker, asked } = await pairOfNodes(answering());
    const id = asker.identity.nodeId;
    const res = await api(asked, "PUT", `/api/network/peers/${id}/agent-policy`, { policy: "always" });
    expect(res.body).toEqual({ ok: true, policy: "always" });
    expect(peerRow(asked, id)?.agent_policy).toBe("always");
    const audit = await api<{ entries: Array<{ event: string; node_id: string | null }> }>(
      asked,
      "GET",
      "/api/network/audit?kind=trust",
    );
    expect(audit.body.entries.some((e) => e.event === "agent_policy" && e.node_id === id)).toBe(true);
    expect((await askPeer(asker, asked, "now?")).body.ok).toBe(true);
    expect(
      (await api(asked, "PUT", "/api/network/peers/aaaaaaaaaaaaaaaa/agent-policy", { policy: "never" }))
        .status,
    ).toBe(404);
    expect(
      (await api(asked, "PUT", `/api/network/peers/${id}/agent-policy`, { policy: "sometimes" })).status,
    ).toBe(400);
  });

  test("the model server's API key reaches neither the asker, nor a frame to it, nor the settings read back", async () => {
    const KEY = "sk-test-0xC0FFEE-never-leaves";
    const stub = await startOpenAiStub();
    stub.reply = { kind: "error", status: 401, echoKey: true };
    const { asker, asked } = await pairOfNodes({
      "agent.allowRemote": true,
      "agent.defaultApproval": "always",
      "agent.backend": "openai",
      "agent.baseUrl": stub.baseUrl,
      "agent.apiKey": KEY,
    });
    // Everything the asked node sends the asker, before it is sealed.
    const session = asked.fabric.hub.session(asker.identity.nodeId)!;
    const sent: string[] = [];
    const send = session.send.bind(session);
    session.send = ((type: never, data: never) => {
      sent.push(JSON.stringify({ type, data }));
      return send(type, data);
    }) as typeof session.send;
    const res = await askPeer(asker, asked, "hello?");
    expect(res.body.ok).toBe(false);
    expect(res.body.error).toContain("401");
    expect(stub.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.some((f) => f.includes("agent_result"))).toBe(true);
    expect(sent.filter((f) => f.includes(KEY))).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain(KEY);
    expect(JSON.stringify(asks(asker))).not.toContain(KEY);
    expect(JSON.stringify(asks(asked))).not.toContain(KEY);
    const settings = await api<Record<string, unknown>>(asked, "GET", "/api/settings");
    expect(settings.body["agent.apiKey"]).toBe("(set)");
    await stub.stop();
  });
});

describe("asks across drops and restarts", () => {
  test("a question in flight when the link drops is sent again on the new link, answered once, and the program runs once", async () => {
    const runs = join(tempDir("weft-agent-runs-"), "runs");
    const program = writeProgram(
      `echo run >> ${quoteArg(runs)}; cat > /dev/null; printf "slow "; sleep 1; printf "answer"`,
    );
    const { asker, asked } = await pairOfNodes(
      answering({ "agent.command": quoteArg(program), "agent.defaultApproval": "always" }),
    );
    const askedId = asked.identity.nodeId;
    const asking = askPeer(asker, asked, "take a second");
    await eventually(() => asks(asker)[0]?.state === "streaming", "the first part", 5000);
    // The link goes away mid-answer, as on a path switch; the redialer brings a new one.
    asker.fabric.hub.session(askedId)!.close(1001, "the path changes");
    expect((await asking).body).toEqual({ ok: true, answer: "slow answer" });
    expect(readFileSync(runs, "utf8")).toBe("run\n");
    expect(asks(asker)).toHaveLength(1);
  });

  test("both sides keep their asks and answers across a restart", async () => {
    const { asker, asked } = await pairOfNodes(answering({ "agent.defaultApproval": "always" }));
    expect((await askPeer(asker, asked, "remember me?")).body.ok).toBe(true);
    const dirs = [asker.dataDir, asked.dataDir] as const;
    await pool.stop(asker);
    await pool.stop(asked);
    const [again, askedAgain] = [
      await pool.start({ dataDir: dirs[0] }),
      await pool.start({ dataDir: dirs[1] }),
    ];
    for (const [n, direction] of [
      [again, "out"],
      [askedAgain, "in"],
    ] as const) {
      const listed = await api<{ asks: AgentAsk[] }>(n, "GET", "/api/network/agent-requests");
      expect(listed.body.asks).toEqual([
        expect.objectContaining({
          direction,
          prompt: "remember me?",
          state: "done",
          answer: "you asked: remember me?.",
        }),
      ]);
    }
  });
});

describe("asking no one", () => {
  test("an unknown or offline peer is no connected peer, and nothing is stored", async () => {
    const { asker, asked } = await pairOfNodes(answering());
    expect(
      (await askPeer(asker, { identity: { nodeId: "aaaaaaaaaaaaaaaa" } } as RunningNode, "hi")).body,
    ).toEqual({
      ok: false,
      error: "no connected peer",
    });
    await pool.stop(asked);
    await eventually(() => peerRow(asker, asked.identity.nodeId)?.status !== "connected", "the peer to go");
    expect((await askPeer(asker, asked, "hi")).body).toEqual({ ok: false, error: "no connected peer" });
    expect(asks(asker)).toEqual([]);
  });
});

describe("a request id that is not the asker's own", () => {
  test("another peer reusing the id of a question still waiting gets nothing of it, and the first asker still gets its answer", async () => {
    const { asker, asked } = await pairOfNodes({
      "agent.allowRemote": true,
      "agent.backend": "inbox",
      "agent.defaultApproval": "always",
    });
    const intruder = await pool.start({ name: "faro" });
    expect((await pair(intruder, await mintInvite(asked))).body.ok).toBe(true);
    await eventually(
      () => peerRow(intruder, asked.identity.nodeId)?.status === "connected",
      "the second link",
    );
    const asking = askPeer(asker, asked, "mine?");
    await eventually(() => asks(asked)[0]?.state === "thinking", "the question to wait in the inbox");
    const id = asks(asked)[0]!.request_id;
    intruder.fabric.hub
      .session(asked.identity.nodeId)!
      .send("agent_request", { request_id: id, prompt: "theirs", origin_chain: [intruder.identity.nodeId] });
    await Bun.sleep(200);
    const inbox = asked.features.get(agentFeature).inbox;
    expect(inbox.pending().map((q) => [q.fromId, q.prompt])).toEqual([[asker.identity.nodeId, "mine?"]]);
    expect(asks(asked).filter((a) => a.direction === "in")).toHaveLength(1);
    expect(inbox.reply(id, "yours")).toBe(true);
    expect((await asking).body).toEqual({ ok: true, answer: "yours" });
  });
});
