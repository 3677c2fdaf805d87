import { describe, expect, test } from "bun:test";
import { eventually, mintInvite, nodePool } from "../../helpers/peer-nodes.ts";
import { openTab } from "../../helpers/ws-client.ts";

const pool = nodePool();

describe("the network channel on /ws", () => {
  test("pairing from a tab shows progress to that tab, and every tab on both nodes sees the peer live", async () => {
    const alice = await pool.start({ name: "alice" });
    const bob = await pool.start({ name: "bob" });
    const [alice1, alice2, bobTab, bobOther] = [
      await openTab(alice.port),
      await openTab(alice.port),
      await openTab(bob.port),
      await openTab(bob.port),
    ];
    bobTab.send({ channel: "network", event: "pair_redeem", data: { invite: await mintInvite(alice) } });
    const result = await bobTab.next((f) => f.event === "pair_result");
    expect(result.data).toMatchObject({
      ok: true,
      peer: { node_id: alice.identity.nodeId, status: "connected" },
    });
    const stages = bobTab.frames
      .filter((f) => f.event === "pair_progress")
      .map((f) => (f.data as { stage: string }).stage);
    expect(stages).toEqual(["dialing", "handshaking", "connected"]);
    expect(bobOther.frames.some((f) => f.event === "pair_progress")).toBe(false);

    for (const tab of [alice1, alice2]) {
      const update = await tab.next(
        (f) =>
          f.event === "peer_update" && (f.data as { peer: { status: string } }).peer.status === "connected",
      );
      expect(update.data).toMatchObject({ peer: { node_id: bob.identity.nodeId, node_name: "bob" } });
    }
    alice1.send({ channel: "network", event: "list_peers", data: {} });
    const listed = await alice1.next((f) => f.event === "peers");
    expect(listed.data).toMatchObject({
      self: { node_id: alice.identity.nodeId },
      peers: [{ node_id: bob.identity.nodeId }],
    });

    alice2.send({ channel: "network", event: "disconnect", data: { nodeId: bob.identity.nodeId } });
    await eventually(
      () =>
        alice1.frames.some(
          (f) =>
            f.event === "peer_update" && (f.data as { peer: { status: string } }).peer.status === "offline",
        ),
      "the other alice tab to see the disconnect",
    );
    for (const t of [alice1, alice2, bobTab, bobOther]) t.close();
  });

  test("a failed redeem reports why, and a tab can mint an invite", async () => {
    const alice = await pool.start();
    const tab = await openTab(alice.port);
    tab.send({ channel: "network", event: "mint_invite", data: {} });
    const invite = await tab.next((f) => f.event === "invite");
    expect((invite.data as { invite: string }).invite).toStartWith("weft1.");
    tab.send({ channel: "network", event: "pair_redeem", data: { invite: "weft1.garbage" } });
    const result = await tab.next((f) => f.event === "pair_result");
    expect(result.data).toMatchObject({ ok: false, error: expect.stringContaining("damaged") });
    tab.send({ channel: "network", event: "connect", data: { address: 42 } });
    const error = await tab.next((f) => f.channel === "network" && f.event === "error");
    expect((error.data as { message: string }).message).toContain("connect");
    tab.close();
  });
});
