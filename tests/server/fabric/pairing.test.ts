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
});
