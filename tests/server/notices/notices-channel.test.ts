import { describe, expect, test } from "bun:test";
import type { Notice } from "../../../protocol/notices.ts";
import { api, eventually, mintInvite, nodePool, pair } from "../../helpers/peer-nodes.ts";
import { openTab } from "../../helpers/ws-client.ts";

const pool = nodePool();

type Frame = { channel: string; event: string; data: unknown };
const on = (event: string) => (f: Frame) => f.channel === "notices" && f.event === event;

describe("the notices channel on /ws and GET /api/notices", () => {
  test("a notice reaches every tab; reading or dismissing in one tab updates the count in all", async () => {
    const alice = await pool.start({ name: "alice" });
    const [tab1, tab2] = [await openTab(alice.port), await openTab(alice.port)];
    const peer = { node_id: "bbbbbbbbbbbbbbbb", node_name: "bob" };
    const first = alice.notices.add({ kind: "share_received", peer, text: "bob shared Scratch with you" });
    const second = alice.notices.add({
      kind: "share_revoked",
      peer,
      text: "bob stopped sharing Scratch",
      action: { label: "Open", paneId: "scratch", params: { room: "x" } },
    });
    for (const tab of [tab1, tab2]) {
      const added = await tab.next(
        (f) => on("added")(f) && (f.data as { notice: Notice }).notice.id === second.id,
      );
      expect(added.data).toEqual({ notice: second, unread: 2 });
    }

    tab1.send({ channel: "notices", event: "list", data: {} });
    const listed = await tab1.next(on("list"));
    expect(listed.data).toEqual({ notices: [second, first], unread: 2 });

    tab1.send({ channel: "notices", event: "read", data: { ids: [first.id] } });
    await tab2.next((f) => on("changed")(f) && (f.data as { unread: number }).unread === 1);
    tab2.send({ channel: "notices", event: "dismiss", data: { id: second.id } });
    await tab1.next((f) => on("changed")(f) && (f.data as { unread: number }).unread === 0);

    const rest = await api<{ notices: Notice[]; unread: number }>(alice, "GET", "/api/notices?limit=10");
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ notices: [{ ...first, read: true }], unread: 0 });
    tab1.close();
    tab2.close();
  });

  test("a bad frame or limit gets a clear error and changes nothing", async () => {
    const alice = await pool.start();
    const tab = await openTab(alice.port);
    const kept = alice.notices.add({ kind: "invite_used", peer: null, text: "someone paired with you" });
    tab.send({ channel: "notices", event: "dismiss", data: { id: "all" } });
    const bad = await tab.next(on("error"));
    expect((bad.data as { message: string }).message).toContain('bad "dismiss" frame at data.id');
    tab.send({ channel: "notices", event: "dismiss", data: { id: kept.id + 100 } });
    await tab.next(
      (f) => on("error")(f) && (f.data as { message: string }).message === `no notice ${kept.id + 100}`,
    );
    expect(alice.notices.list()).toEqual({ notices: [kept], unread: 1 });

    const res = await api<{ error: string; field?: string }>(alice, "GET", "/api/notices?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.field).toBe("limit");
    tab.close();
  });

  test("the inviter hears on the network channel that its invite was used, and gets a lasting notice", async () => {
    const alice = await pool.start({ name: "alice" });
    const bob = await pool.start({ name: "bob" });
    const tab = await openTab(alice.port);
    tab.send({ channel: "network", event: "mint_invite", data: {} });
    const minted = (await tab.next((f) => f.event === "invite")).data as { invite: string; id: string };
    expect(minted.id).toMatch(/^[0-9a-f]{12}$/);
    expect((await pair(bob, minted.invite)).body.ok).toBe(true);

    const used = await tab.next((f) => f.channel === "network" && f.event === "invite_used");
    expect(used.data).toEqual({ id: minted.id, peer: { node_id: bob.identity.nodeId, node_name: "bob" } });
    const added = await tab.next(on("added"));
    expect(added.data).toMatchObject({
      notice: {
        kind: "invite_used",
        text: "bob paired with you",
        peer: { node_id: bob.identity.nodeId, node_name: "bob" },
        read: false,
      },
      unread: 1,
    });
    expect(bob.notices.list().notices).toEqual([]);

    // Another invite minted but not used is not reported.
    await mintInvite(alice);
    expect(tab.frames.filter((f) => f.event === "invite_used")).toHaveLength(1);
    tab.close();
  });

  test("a blocked node that keeps knocking leaves one notice with a count", async () => {
    const alice = await pool.start({ name: "alice" });
    const bob = await pool.start({ name: "bob" });
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    const blocked = await api(alice, "POST", `/api/network/peers/${bob.identity.nodeId}/block`);
    expect(blocked.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      await expect(bob.fabric.hub.reconnect(alice.identity.nodeId)).rejects.toThrow();
    }
    await eventually(
      () => alice.notices.list().notices[0]?.text.endsWith("(3 times)") === true,
      "three attempts to be counted",
    );
    expect(alice.notices.list().notices.filter((n) => n.kind === "blocked_attempt")).toEqual([
      expect.objectContaining({
        kind: "blocked_attempt",
        peer: { node_id: bob.identity.nodeId, node_name: "bob" },
        text: "A blocked node, bob, tried to connect (3 times)",
        read: false,
      }),
    ]);
  });
});
