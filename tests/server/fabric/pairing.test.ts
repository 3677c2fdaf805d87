import { describe, expect, test } from "bun:test";
import { decodeInvite, encodeInvite } from "../../../server/fabric/invite-codec.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();

describe("pairing two nodes", () => {
  test("an invite connects both sides, and both remember the pairing", async () => {
    const alice = await pool.start({ name: "alice" });
    const bob = await pool.start({ name: "bob" });
    const res = await pair(bob, await mintInvite(alice));
    expect(res.body).toMatchObject({
      ok: true,
      peer: { node_id: alice.identity.nodeId, status: "connected", via: "dialed" },
    });
    await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "alice to see bob");
    expect(peerRow(alice, bob.identity.nodeId)).toMatchObject({
      node_name: "bob",
      trusted: true,
      via: "invite",
    });
    expect(peerRow(bob, alice.identity.nodeId)).toMatchObject({
      node_name: "alice",
      trusted: true,
      via: "dialed",
    });
    const listed = await api<{ peers: Array<{ node_id: string }> }>(alice, "GET", "/api/network/peers");
    expect(listed.body.peers.map((p) => p.node_id)).toEqual([bob.identity.nodeId]);
  });

  test("an invite names its inviter for the preview, and one without a name still pairs", async () => {
    const alice = await pool.start({ name: "alice" });
    const invite = await mintInvite(alice);
    expect(decodeInvite(invite).m).toBe("alice");
    const { m: _name, ...unnamed } = decodeInvite(invite);
    const bob = await pool.start({ name: "bob" });
    expect((await pair(bob, encodeInvite(unnamed))).body).toMatchObject({ ok: true });
  });

  test("an invite carries typed paths, and one in the older form with bare addresses still redeems", async () => {
    const alice = await pool.start({ name: "alice" });
    const invite = await mintInvite(alice);
    const payload = decodeInvite(invite);
    expect(payload.a).toBeUndefined();
    expect(payload.p?.[0]).toMatchObject({
      transport: "direct",
      address: `ws://localhost:${alice.port}/peer-ws`,
    });
    // What invites looked like before paths were typed: { n, k, a: [ws urls], t, e, m }.
    const { p, ...rest } = payload;
    const older = encodeInvite({ ...rest, a: (p ?? []).map((path) => path.address) });
    const bob = await pool.start({ name: "bob" });
    expect((await pair(bob, older)).body).toMatchObject({
      ok: true,
      peer: { node_id: alice.identity.nodeId },
    });
  });

  test("an invite's path of a transport this node lacks is skipped, and the next one is used", async () => {
    const alice = await pool.start({ name: "alice" });
    const payload = decodeInvite(await mintInvite(alice));
    const invite = encodeInvite({
      ...payload,
      p: [{ transport: "carrier-pigeon", address: "coop 7" }, ...(payload.p ?? [])],
    });
    const bob = await pool.start({ name: "bob" });
    expect((await pair(bob, invite)).body).toMatchObject({
      ok: true,
      peer: { node_id: alice.identity.nodeId },
    });
    expect(peerRow(bob, alice.identity.nodeId)?.address).toBe(`ws://localhost:${alice.port}/peer-ws`);
  });

  test("a peer's presence tells its paths, so the side that never dialed it can dial it later", async () => {
    const alice = await pool.start({ name: "alice" });
    const bob = await pool.start({ name: "bob" });
    await pair(bob, await mintInvite(alice));
    // Alice learned Bob's paths from his presence, though she never dialed him.
    await eventually(
      () => alice.fabric.peers.paths.list(bob.identity.nodeId).length > 0,
      "alice to learn bob's paths",
    );
    expect(alice.fabric.peers.paths.list(bob.identity.nodeId)).toContainEqual({
      transport: "direct",
      address: `ws://localhost:${bob.port}/peer-ws`,
    });
    alice.fabric.hub.disconnect(bob.identity.nodeId);
    await eventually(() => peerRow(bob, alice.identity.nodeId)?.status === "offline", "the disconnect");
    const row = await alice.fabric.hub.reconnect(bob.identity.nodeId);
    expect(row).toMatchObject({ node_id: bob.identity.nodeId, status: "connected" });
    await eventually(() => peerRow(bob, alice.identity.nodeId)?.status === "connected", "bob to see alice");
  });
});
