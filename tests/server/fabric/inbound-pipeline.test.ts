import { afterEach, describe, expect, test } from "bun:test";
import type { AuditEntry } from "../../../protocol/network.ts";
import { MAX_FAILURES } from "../../../server/fabric/peer-session.ts";
import type { RunningNode } from "../../../server/node.ts";
import { api, eventually, nodePool } from "../../helpers/peer-nodes.ts";
import {
  echoProbe,
  expectStillServing,
  flipBase64Bit,
  processFaults,
  RawPeer,
  TEST_ECHO,
} from "../../helpers/raw-peer.ts";

const pool = nodePool();
const faults = processFaults();
afterEach(() => expect(faults).toEqual([]));

const rejects = (node: RunningNode, code: string) => node.fabric.hub.rejects[code] ?? 0;

/** A live node in open-lan mode with a `test_echo` feature, and a raw peer with a session to it. */
async function linked(settings: Record<string, unknown> = {}) {
  const node = await pool.start();
  node.settings.update({ "network.trustMode": "open-lan", ...settings });
  const probe = echoProbe(node);
  const peer = await RawPeer.create("hostile");
  await peer.connect(node.port);
  await peer.handshake();
  return { node, probe, peer };
}

/**
 * Frames on one socket are processed in order, so once this honest frame reaches the feature,
 * everything sent before it has been judged; `probe.texts` then holds exactly what got through.
 */
async function sendMarker(peer: RawPeer, probe: { texts: string[] }, text = "after"): Promise<void> {
  peer.sendSealed(TEST_ECHO, { text });
  await eventually(() => probe.texts.includes(text), `"${text}" to reach the feature`);
}

async function audit(node: RunningNode): Promise<AuditEntry[]> {
  const res = await api<{ entries: AuditEntry[] }>(node, "GET", "/api/network/audit");
  expect(res.status).toBe(200);
  return res.body.entries;
}

const nested = (depth: number): unknown => (depth === 0 ? 0 : [nested(depth - 1)]);

describe("the inbound pipeline of a session", () => {
  test("a frame larger than network.maxFrameBytes is dropped before it is parsed", async () => {
    const { node, probe, peer } = await linked({ "network.maxFrameBytes": 8192 });
    const big = peer.sendSealed(TEST_ECHO, { text: "x".repeat(9000) });
    expect(big.length).toBeGreaterThan(8192);
    await eventually(() => rejects(node, "too_big") === 1, "the oversized frame to be refused");
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["after"]);
    expect(peer.closeInfo).toBeUndefined();
    await expectStillServing(node, probe);
  });

  test("JSON nested deeper than network.maxJsonDepth is refused, around the box or inside it", async () => {
    const { node, probe, peer } = await linked();
    const deep = nested(40);
    const outer = { ...peer.seal(TEST_ECHO, { text: "outer" }), pad: deep };
    peer.sendText(JSON.stringify(outer));
    // An authentic box whose data the feature's schema would accept, but for its depth.
    peer.sendSealed(TEST_ECHO, { text: "inner", extra: deep });
    await eventually(() => rejects(node, "too_deep") === 2, "both deep frames to be refused");
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["after"]);
    await expectStillServing(node, probe);
  });

  test("a __proto__ key is refused anywhere in a frame", async () => {
    const { node, probe, peer } = await linked();
    const frame = JSON.stringify(peer.seal(TEST_ECHO, { text: "outer" }));
    peer.sendText(`{"__proto__":{"polluted":true},${frame.slice(1)}`);
    // The same key spelled with JSON escapes, which a plain text search would miss.
    peer.sendText(`{"\\u005f\\u005fproto__":{"polluted":true},${frame.slice(1)}`);
    // JSON.parse makes __proto__ an own key, which JSON.stringify then writes into the box.
    const poisoned = JSON.parse('{"text":"inner","__proto__":{"polluted":true}}') as unknown;
    expect(JSON.stringify(poisoned)).toContain("__proto__");
    peer.sendSealed(TEST_ECHO, poisoned);
    peer.sendSealed(TEST_ECHO, JSON.parse('{"text":"ctor","constructor":{"prototype":{}}}'));
    await eventually(() => rejects(node, "forbidden_key") === 4, "the four poisoned frames to be refused");
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["after"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectStillServing(node, probe);
  });

  test("an unknown type after the handshake is answered with error and dropped", async () => {
    const { node, probe, peer } = await linked();
    const sent = JSON.parse(peer.sendSealed("no_such_type", { text: "unknown" })) as { msg_id: string };
    await eventually(
      () => peer.sessionFrames().some((f) => f.env.type === "error" && f.env.re === sent.msg_id),
      "the node's error reply",
    );
    const reply = peer.sessionFrames().find((f) => f.env.type === "error");
    expect(reply?.data).toMatchObject({ code: "unknown_type" });
    expect(rejects(node, "unknown_type")).toBe(1);
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["after"]);
    await expectStillServing(node, probe);
  });

  test("a sealed frame with a flipped bit in its header or its box does not open", async () => {
    const { node, probe, peer } = await linked();
    const header = peer.seal(TEST_ECHO, { text: "forged header" });
    // Bitwise operators would truncate a millisecond timestamp to 32 bits.
    header.ts += header.ts % 2 === 0 ? 1 : -1;
    peer.sendText(JSON.stringify(header));
    const box = peer.seal(TEST_ECHO, { text: "forged box" });
    box.box = flipBase64Bit(box.box, 3);
    peer.sendText(JSON.stringify(box));
    // A forgery must not advance the counter, or it could lock the honest sender out.
    const far = peer.seal(TEST_ECHO, { text: "forged far counter" }, { n: 1_000_000 });
    far.box = flipBase64Bit(far.box, 0);
    peer.sendText(JSON.stringify(far));
    await eventually(() => rejects(node, "forgery") === 3, "the three forgeries to be refused");
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["after"]);
    expect(peer.closeInfo).toBeUndefined();
    await expectStillServing(node, probe);
  });

  test("a captured sealed frame sent again, or an older counter, is refused as a replay", async () => {
    const { node, probe, peer } = await linked();
    const captured = peer.sendSealed(TEST_ECHO, { text: "once" }, { n: 10 });
    await eventually(() => probe.texts.includes("once"), "the original frame");
    peer.resend(captured);
    peer.sendSealed(TEST_ECHO, { text: "older counter" }, { n: 5 });
    await eventually(() => rejects(node, "replay") === 2, "the replays to be refused");
    peer.counter = 10;
    await sendMarker(peer, probe);
    expect(probe.texts).toEqual(["once", "after"]);
    await expectStillServing(node, probe);
  });

  test("a flood past the rate limit disconnects the peer and is audited", async () => {
    const { node, probe, peer } = await linked({
      "network.rateLimitPerSec": 50,
      "network.rateLimitBurst": 100,
    });
    const started = performance.now();
    for (let i = 0; i < 400; i++) peer.sendSealed(TEST_ECHO, { text: `flood ${i}` });
    expect(await peer.closed()).toEqual({ code: 1008, reason: "rate limit exceeded" });
    const elapsedS = (performance.now() - started) / 1000;
    expect(probe.texts.length).toBeLessThanOrEqual(100 + Math.ceil(elapsedS * 50));
    // A full burst is honoured; what follows it is not.
    expect(probe.texts.length).toBeGreaterThanOrEqual(100);
    expect(probe.texts.length).toBeLessThan(400);
    expect(rejects(node, "rate_limit")).toBe(1);
    const entries = await audit(node);
    expect(entries[0]).toMatchObject({ event: "rate_limit_disconnect", node_id: peer.identity.nodeId });
    await eventually(
      () => node.fabric.hub.row(peer.identity.nodeId)?.status === "offline",
      "the peer to be offline",
    );
    const before = probe.texts.length;
    await expectStillServing(node, probe);
    expect(probe.texts.length).toBe(before + 1);
  });

  test("many bad frames in a row get the peer disconnected and audited", async () => {
    const { node, probe, peer } = await linked();
    for (let i = 0; i < MAX_FAILURES + 20; i++) {
      const env = peer.seal(TEST_ECHO, { text: `bad ${i}` });
      env.box = flipBase64Bit(env.box, i);
      peer.sendText(JSON.stringify(env));
    }
    expect(await peer.closed()).toEqual({ code: 1008, reason: "too many bad frames" });
    // Frames still in flight when the link closed are never processed.
    expect(rejects(node, "forgery")).toBe(MAX_FAILURES + 1);
    const entries = await audit(node);
    expect(entries[0]).toMatchObject({ event: "bad_frames_disconnect", node_id: peer.identity.nodeId });
    expect(probe.texts).toEqual([]);
    await expectStillServing(node, probe);
  });
});
