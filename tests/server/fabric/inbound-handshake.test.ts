import { afterEach, describe, expect, test } from "bun:test";
import type { AuditEntry } from "../../../protocol/network.ts";
import type { RunningNode } from "../../../server/node.ts";
import { TIMESTAMP_WINDOW_MS } from "../../../server/wire/signed-frame.ts";
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

async function audit(node: RunningNode): Promise<AuditEntry[]> {
  const res = await api<{ entries: AuditEntry[] }>(node, "GET", "/api/network/audit");
  expect(res.status).toBe(200);
  return res.body.entries;
}

/** A live node with a `test_echo` feature; manual trust unless a test says otherwise. */
async function liveNode(trustMode: "manual" | "open-lan" = "manual") {
  const node = await pool.start();
  node.settings.update({ "network.trustMode": trustMode });
  return { node, probe: echoProbe(node) };
}

async function connected(node: RunningNode, name = "hostile"): Promise<RawPeer> {
  const peer = await RawPeer.create(name);
  await peer.connect(node.port);
  return peer;
}

/**
 * Runs the handshake to `auth`, then sends a sealed feature frame at once, ahead of the verdict,
 * as a hostile dialer would; returns the verdict.
 */
async function authWithFrameAhead(peer: RawPeer, token?: string) {
  peer.sendHello();
  await peer.readHelloAck();
  peer.sendAuth(token === undefined ? {} : { token });
  peer.sendSealed(TEST_ECHO, { text: "sent ahead of the verdict" });
  return peer.readAuthResult();
}

describe("the inbound handshake", () => {
  test("a hello with a bad signature is refused before anything is answered", async () => {
    const { node, probe } = await liveNode("open-lan");
    const peer = await connected(node);
    peer.sendHello({
      afterSigning: (env) => {
        env.sig = flipBase64Bit(env.sig, 9);
      },
    });
    expect((await peer.closed()).code).toBe(1008);
    expect(peer.received).toEqual([]);
    expect(rejects(node, "bad_signature")).toBe(1);
    expect(node.fabric.hub.row(peer.identity.nodeId)).toBeUndefined();
    expect(probe.texts).toEqual([]);
    await expectStillServing(node, probe);
  });

  test("a hello whose key does not match its claimed node id is refused", async () => {
    const { node, probe } = await liveNode("open-lan");
    const peer = await connected(node);
    const claimed = (await RawPeer.create("someone else")).identity.nodeId;
    // Signed by the key it presents, so only the id check can catch it.
    peer.sendHello({ header: { src: claimed } });
    expect((await peer.closed()).code).toBe(1008);
    expect(peer.received).toEqual([]);
    expect(rejects(node, "key_mismatch")).toBe(1);
    expect(node.fabric.hub.row(claimed)).toBeUndefined();
    expect(node.fabric.hub.row(peer.identity.nodeId)).toBeUndefined();
    await expectStillServing(node, probe);
  });

  test("a hello that claims a paired peer's id with another key is refused, audited, and harms nothing", async () => {
    const { node, probe } = await liveNode();
    const paired = await connected(node, "paired");
    await paired.handshake({ token: node.fabric.invites.mint().token });
    const impostor = await connected(node, "impostor");
    impostor.sendHello({ header: { src: paired.identity.nodeId } });
    expect((await impostor.closed()).code).toBe(1008);
    expect(rejects(node, "key_mismatch")).toBe(1);
    expect((await audit(node))[0]).toMatchObject({
      event: "key_mismatch",
      node_id: paired.identity.nodeId,
      detail: { presented: impostor.identity.publicKeyBase64, pinned: paired.identity.publicKeyBase64 },
    });
    expect(node.fabric.peers.get(paired.identity.nodeId)?.publicKey).toBe(paired.identity.publicKeyBase64);
    paired.sendSealed(TEST_ECHO, { text: "still linked" });
    await eventually(() => probe.texts.includes("still linked"), "the paired peer's message");
    expect(paired.closeInfo).toBeUndefined();
  });

  test("a hello stamped outside the ±5 minute window is refused, early or late, and one inside is not", async () => {
    const { node, probe } = await liveNode("open-lan");
    for (const skew of [-(TIMESTAMP_WINDOW_MS + 60_000), TIMESTAMP_WINDOW_MS + 60_000]) {
      const peer = await connected(node);
      peer.sendHello({ header: { ts: Date.now() + skew } });
      expect((await peer.closed()).code).toBe(1008);
      expect(peer.received).toEqual([]);
    }
    expect(rejects(node, "stale")).toBe(2);
    const skewed = await connected(node, "slow clock");
    await skewed.handshake({ hello: { header: { ts: Date.now() - TIMESTAMP_WINDOW_MS + 60_000 } } });
    expect(probe.texts).toEqual([]);
    await expectStillServing(node, probe);
  });

  test("a captured hello sent again on a new socket is refused as a replay", async () => {
    const { node, probe } = await liveNode("open-lan");
    const first = await connected(node);
    const captured = JSON.stringify(first.sendHello());
    await first.readHelloAck();
    first.close();
    const again = await RawPeer.create("replayer", first.identity);
    await again.connect(node.port);
    again.resend(captured);
    expect((await again.closed()).code).toBe(1008);
    expect(again.received).toEqual([]);
    expect(rejects(node, "replay")).toBe(1);
    await expectStillServing(node, probe);
  });

  test("without an invite in manual mode the peer is refused, audited, and its early frame is dropped", async () => {
    const { node, probe } = await liveNode();
    const peer = await connected(node);
    expect(await authWithFrameAhead(peer)).toEqual({ ok: false, reason: "pairing required" });
    expect(await peer.closed()).toEqual({ code: 1008, reason: "pairing required" });
    expect(rejects(node, "handshake_refused")).toBe(1);
    expect((await audit(node))[0]).toMatchObject({
      event: "refuse",
      node_id: peer.identity.nodeId,
      detail: { reason: "pairing required" },
    });
    expect(node.fabric.hub.row(peer.identity.nodeId)).toBeUndefined();
    expect(probe.texts).toEqual([]);
    await expectStillServing(node, probe);
    expect(probe.texts).not.toContain("sent ahead of the verdict");
  });

  test("a made-up invite token is refused and audited", async () => {
    const { node, probe } = await liveNode();
    const peer = await connected(node);
    const verdict = await authWithFrameAhead(peer, "AAAAAAAAAAAAAAAAAAAAAA");
    expect(verdict).toEqual({ ok: false, reason: "unknown invite" });
    expect((await audit(node))[0]).toMatchObject({ event: "refuse", detail: { reason: "unknown invite" } });
    expect(rejects(node, "handshake_refused")).toBe(1);
    expect(probe.texts).toEqual([]);
  });

  test("a blocked peer is cut off, then refused and audited when it comes back", async () => {
    const { node, probe } = await liveNode();
    const peer = await connected(node);
    await peer.handshake({ token: node.fabric.invites.mint().token });
    const blocked = await api(node, "POST", `/api/network/peers/${peer.identity.nodeId}/block`);
    expect(blocked.status).toBe(200);
    await peer.closed();
    const back = await RawPeer.create("back again", peer.identity);
    await back.connect(node.port);
    expect(await authWithFrameAhead(back)).toEqual({ ok: false, reason: "blocked" });
    expect((await back.closed()).code).toBe(1008);
    const entries = await audit(node);
    expect(entries[0]).toMatchObject({ event: "refuse", node_id: peer.identity.nodeId });
    expect(entries[0]?.detail).toMatchObject({ reason: "blocked" });
    expect(entries.map((e) => e.event)).toContain("block");
    expect(rejects(node, "handshake_refused")).toBe(1);
    expect(probe.texts).toEqual([]);
    await expectStillServing(node, probe);
  });

  test("a known node id whose pinned key differs is refused as a key mismatch and audited", async () => {
    const { node, probe } = await liveNode();
    const peer = await connected(node);
    const other = await RawPeer.create("other");
    // As if another machine had paired under this id: the pinned key is not the one presented.
    node.fabric.peers.trust({
      nodeId: peer.identity.nodeId,
      publicKey: other.identity.publicKeyBase64,
      nodeName: "pinned",
      via: "invite",
    });
    expect(await authWithFrameAhead(peer)).toEqual({ ok: false, reason: "key mismatch" });
    expect((await audit(node))[0]).toMatchObject({ event: "key_mismatch", node_id: peer.identity.nodeId });
    expect(rejects(node, "handshake_refused")).toBe(1);
    expect(probe.texts).toEqual([]);
    await expectStillServing(node, probe);
  });
});
