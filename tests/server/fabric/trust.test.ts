import { describe, expect, test } from "bun:test";
import type { AuditEntry } from "../../../protocol/network.ts";
import { encodeInvite } from "../../../server/fabric/invite-codec.ts";
import type { RunningNode } from "../../../server/node.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();
const addressOf = (n: RunningNode) => `ws://127.0.0.1:${n.port}/peer-ws`;
const connect = (from: RunningNode, to: RunningNode) =>
  api<{ ok: boolean; error?: string }>(from, "POST", "/api/network/connect", { address: addressOf(to) });
const audit = async (n: RunningNode) =>
  (await api<{ entries: AuditEntry[] }>(n, "GET", "/api/network/audit?limit=50")).body.entries;

/** An invite minted on `node` whose payload is edited by `edit`. */
function editedInvite(
  node: RunningNode,
  edit: (p: { a: string[]; e: number; t: string }) => void,
  mintAt = Date.now(),
) {
  const { token, expires } = node.fabric.invites.mint(3600, mintAt);
  const payload = {
    n: node.identity.nodeId,
    k: node.identity.publicKeyBase64,
    a: [addressOf(node)],
    t: token,
    e: expires,
  };
  edit(payload);
  return encodeInvite(payload);
}

describe("trust", () => {
  test("in manual mode a dial without an invite is refused and neither side lists the other", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    expect((await connect(bob, alice)).body).toEqual({ ok: false, error: "pairing required" });
    expect(alice.fabric.hub.rows()).toEqual([]);
    expect(bob.fabric.hub.rows()).toEqual([]);
    expect((await audit(alice))[0]).toMatchObject({
      event: "refuse",
      node_id: bob.identity.nodeId,
      detail: { reason: "pairing required" },
    });
  });

  test("an invite is single-use: its redeemer may use it again, another node may not", async () => {
    const [alice, bob, carol] = [await pool.start(), await pool.start(), await pool.start()];
    const invite = await mintInvite(alice);
    expect((await pair(bob, invite)).body.ok).toBe(true);
    // Both sides forget, so the second redeem is decided by the invite alone.
    await api(bob, "DELETE", `/api/network/peers/${alice.identity.nodeId}?forget=1`);
    await api(alice, "DELETE", `/api/network/peers/${bob.identity.nodeId}?forget=1`);
    expect(peerRow(alice, bob.identity.nodeId)).toBeUndefined();
    expect((await pair(bob, invite)).body.ok).toBe(true);
    expect(peerRow(alice, bob.identity.nodeId)?.via).toBe("invite");
    expect((await pair(carol, invite)).body).toEqual({ ok: false, error: "invite already used" });
    expect(peerRow(alice, carol.identity.nodeId)).toBeUndefined();
  });

  test("an expired invite is refused", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    const invite = editedInvite(alice, () => {}, Date.now() - 2 * 3600_000);
    expect((await pair(bob, invite)).body).toEqual({ ok: false, error: "invite expired" });
    expect(alice.fabric.hub.rows()).toEqual([]);
  });

  test("a different node answering at the invite's address is refused before any trust is given", async () => {
    const [alice, bob, mallory] = [await pool.start(), await pool.start(), await pool.start()];
    await mallory.settings.update({ "network.trustMode": "open-lan" });
    const invite = editedInvite(alice, (p) => {
      p.a = [addressOf(mallory)];
    });
    expect((await pair(bob, invite)).body).toEqual({
      ok: false,
      error: "a different node answered at the invite's address",
    });
    expect(bob.fabric.hub.rows()).toEqual([]);
    expect(mallory.fabric.hub.rows()).toEqual([]);
  });

  test("a paired peer reconnects without an invite, and the pairing survives a restart of both", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    await api(bob, "DELETE", `/api/network/peers/${alice.identity.nodeId}`);
    await eventually(
      () => peerRow(alice, bob.identity.nodeId)?.status === "offline",
      "alice to see bob leave",
    );
    expect((await connect(bob, alice)).body.ok).toBe(true);

    const aliceDir = alice.dataDir;
    const bobDir = bob.dataDir;
    await pool.stop(alice);
    await pool.stop(bob);
    const alice2 = await pool.start({ dataDir: aliceDir });
    const bob2 = await pool.start({ dataDir: bobDir });
    expect(peerRow(alice2, bob2.identity.nodeId)).toMatchObject({ trusted: true, via: "invite" });
    expect(peerRow(bob2, alice2.identity.nodeId)).toMatchObject({ trusted: true, via: "dialed" });
    expect((await connect(bob2, alice2)).body.ok).toBe(true);
  });

  test("a blocked node is refused and the block is audited", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    const blocked = await api<{ ok: boolean }>(
      alice,
      "POST",
      `/api/network/peers/${bob.identity.nodeId}/block`,
    );
    expect(blocked.body.ok).toBe(true);
    await eventually(() => peerRow(bob, alice.identity.nodeId)?.status === "offline", "bob to be cut off");
    expect((await connect(bob, alice)).body).toEqual({ ok: false, error: "blocked" });
    const events = (await audit(alice)).map((e) => e.event);
    expect(events).toContain("block");
    expect(events[0]).toBe("refuse");
    await api(alice, "DELETE", `/api/network/peers/${bob.identity.nodeId}/block`);
    expect((await connect(bob, alice)).body.ok).toBe(true);
  });

  test("a known node id presenting another key is refused as a key mismatch", async () => {
    const [alice, bob, other] = [await pool.start(), await pool.start(), await pool.start()];
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    await api(bob, "DELETE", `/api/network/peers/${alice.identity.nodeId}`);
    // Pin another key for bob's id, as if a different machine had paired under that id.
    alice.fabric.peers.forget(bob.identity.nodeId);
    alice.fabric.peers.trust({
      nodeId: bob.identity.nodeId,
      publicKey: other.identity.publicKeyBase64,
      nodeName: "bob",
      via: "invite",
    });
    expect((await connect(bob, alice)).body).toEqual({ ok: false, error: "key mismatch" });
    expect((await audit(alice))[0]).toMatchObject({ event: "key_mismatch", node_id: bob.identity.nodeId });
  });

  test("open-lan admits anyone reachable and remembers how", async () => {
    const [alice, carol] = [await pool.start(), await pool.start()];
    await alice.settings.update({ "network.trustMode": "open-lan" });
    expect((await connect(carol, alice)).body.ok).toBe(true);
    await eventually(
      () => peerRow(alice, carol.identity.nodeId)?.status === "connected",
      "alice to list carol",
    );
    expect(peerRow(alice, carol.identity.nodeId)?.via).toBe("open-lan");
  });

  test("bad requests are 400 and change nothing", async () => {
    const alice = await pool.start();
    const garbled = await api<{ error: string; field: string }>(alice, "POST", "/api/network/pair", {
      invite: "weft1.!!!",
    });
    expect(garbled.status).toBe(400);
    expect(garbled.body.field).toBe("invite");
    expect((await api(alice, "POST", "/api/network/pair", { invite: "hello" })).status).toBe(400);
    expect((await api(alice, "POST", "/api/network/connect", {})).status).toBe(400);
    expect((await api(alice, "POST", "/api/network/connect", { address: "http://x" })).status).toBe(400);
    expect((await api(alice, "POST", "/api/network/invite", { ttl_s: 5 })).status).toBe(400);
    expect((await api(alice, "POST", `/api/network/peers/${"a".repeat(16)}/block`)).status).toBe(404);
    expect((await api(alice, "GET", "/api/network/audit?limit=0")).status).toBe(400);
    expect((await pair(alice, await mintInvite(alice))).body).toEqual({
      ok: false,
      error: "this is your own invite",
    });
    expect(alice.fabric.hub.rows()).toEqual([]);
  });
});

describe("direct links switched off", () => {
  test("a node with network.enableDirect off neither accepts nor dials", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    await alice.settings.update({ "network.enableDirect": false });
    const refused = await connect(bob, alice);
    expect(refused.body.ok).toBe(false);
    expect(refused.body.error).toContain("cannot reach");
    expect((await connect(alice, bob)).body).toEqual({
      ok: false,
      error: "direct links are turned off in settings (network.enableDirect)",
    });
  });
});
