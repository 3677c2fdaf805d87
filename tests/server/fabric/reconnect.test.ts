import { describe, expect, test } from "bun:test";
import type { RunningNode } from "../../../server/node.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();

async function paired(): Promise<[RunningNode, RunningNode]> {
  const alice = await pool.start({ name: "alice" });
  const bob = await pool.start({ name: "bob" });
  expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
  await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "alice to link");
  return [alice, bob];
}
const status = (from: RunningNode, to: RunningNode) => peerRow(from, to.identity.nodeId)?.status;

describe("staying linked", () => {
  test("a link that drops without a goodbye is redialed and comes back", async () => {
    const [alice, bob] = await paired();
    // A dead link as a network fault leaves it: closed under both ends, nobody said goodbye.
    alice.fabric.hub.session(bob.identity.nodeId)?.link.close(1006, "network fault");
    await eventually(() => status(alice, bob) === "offline" || status(bob, alice) === "offline", "the drop");
    await eventually(
      () => status(alice, bob) === "connected" && status(bob, alice) === "connected",
      "the redial to relink both sides",
      5000,
    );
  });

  test("a disconnect made by a person holds on both sides until someone connects again", async () => {
    const [alice, bob] = await paired();
    const res = await api<{ ok: boolean }>(alice, "DELETE", `/api/network/peers/${bob.identity.nodeId}`);
    expect(res.body.ok).toBe(true);
    await eventually(
      () => status(alice, bob) === "offline" && status(bob, alice) === "offline",
      "both offline",
    );
    // Longer than the first redial delays of both sides.
    await Bun.sleep(2500);
    expect([status(alice, bob), status(bob, alice)]).toEqual(["offline", "offline"]);

    const again = await api<{ ok: boolean; peer?: { status: string } }>(
      bob,
      "POST",
      `/api/network/peers/${alice.identity.nodeId}/connect`,
    );
    expect(again.body).toMatchObject({ ok: true, peer: { status: "connected" } });
    await eventually(() => status(alice, bob) === "connected", "alice to relink");
  });

  test("connecting to an unknown or blocked peer by id says why", async () => {
    const [alice, bob] = await paired();
    expect((await api(alice, "POST", `/api/network/peers/${"a".repeat(16)}/connect`)).status).toBe(404);
    await api(alice, "POST", `/api/network/peers/${bob.identity.nodeId}/block`);
    const blocked = await api<{ ok: boolean; error: string }>(
      alice,
      "POST",
      `/api/network/peers/${bob.identity.nodeId}/connect`,
    );
    expect(blocked.body).toEqual({ ok: false, error: "this peer is blocked; unblock it first" });
  });
});

describe("unblocking", () => {
  test("unblocking a peer links both sides up again without anyone pressing Connect", async () => {
    const [alice, bob] = await paired();
    await api(alice, "POST", `/api/network/peers/${bob.identity.nodeId}/block`);
    await eventually(
      () => status(alice, bob) === "offline" && status(bob, alice) === "offline",
      "the block to end the link",
    );
    // Past the first redial delays, which find the peer blocked and give up.
    await Bun.sleep(1500);
    const res = await api<{ ok: boolean }>(
      alice,
      "DELETE",
      `/api/network/peers/${bob.identity.nodeId}/block`,
    );
    expect(res.body.ok).toBe(true);
    await eventually(
      () => status(alice, bob) === "connected" && status(bob, alice) === "connected",
      "the unblock to relink both sides",
      5000,
    );
    expect(peerRow(alice, bob.identity.nodeId)?.blocked).toBe(false);
  });
});
