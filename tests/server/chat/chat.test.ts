import { describe, expect, test } from "bun:test";
import type { ChatPage } from "../../../protocol/chat.ts";
import type { RunningNode } from "../../../server/node.ts";
import { chatTab } from "../../helpers/chat-tab.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();

async function paired(): Promise<[RunningNode, RunningNode]> {
  const alice = await pool.start({ name: "alice" });
  const bob = await pool.start({ name: "bob" });
  expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
  await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "the link");
  return [alice, bob];
}
const history = async (n: RunningNode, peer: RunningNode) =>
  (await api<ChatPage>(n, "GET", `/api/chat/${peer.identity.nodeId}/messages?limit=200`)).body.messages;

describe("chat between two linked nodes", () => {
  test("a message is stored on both sides, shown live to every tab viewing it, and confirmed", async () => {
    const [alice, bob] = await paired();
    const [a, b1, b2] = [await chatTab(alice.port), await chatTab(bob.port), await chatTab(bob.port)];
    await a.open(bob.identity.nodeId);
    await b1.open(alice.identity.nodeId);
    await b2.open(alice.identity.nodeId);
    a.send(bob.identity.nodeId, "hello bob ✓", "mine-1");
    await eventually(() => b1.messages().length === 1 && b2.messages().length === 1, "both bob tabs");
    const sent = a.messages()[0]!;
    expect(sent).toMatchObject({ text: "hello bob ✓", direction: "out", clientId: "mine-1" });
    expect(b1.messages()[0]).toMatchObject({
      id: sent.id,
      text: "hello bob ✓",
      direction: "in",
      from: alice.identity.nodeId,
    });
    // Bob is looking at the conversation, so it is read at once and raises no unread.
    await eventually(() => a.statusOf(sent.id) === "read", "alice to see it read");
    expect(b1.lastUnread()?.[alice.identity.nodeId] ?? 0).toBe(0);
    expect((await history(bob, alice)).map((m) => m.text)).toEqual(["hello bob ✓"]);
    expect((await history(alice, bob)).map((m) => m.status)).toEqual(["read"]);
  });

  test("a tab opened later gets the backlog, and history pages back in order", async () => {
    const [alice, bob] = await paired();
    const a = await chatTab(alice.port);
    for (let i = 1; i <= 60; i++) a.send(bob.identity.nodeId, `m${i}`);
    await eventually(
      () => alice.chat.page(bob.identity.nodeId, 100).messages.every((m) => m.status === "delivered"),
      "all delivered",
    );
    const late = await chatTab(bob.port);
    const first = await late.open(alice.identity.nodeId);
    expect(first.messages.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 11}`));
    expect(first).toMatchObject({ hasMore: true, unread: 60 });
    const older = await api<ChatPage>(
      bob,
      "GET",
      `/api/chat/${alice.identity.nodeId}/messages?before=${first.messages[0]!.seq}&limit=50`,
    );
    expect(older.body.messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    expect(older.body.hasMore).toBe(false);
  });

  test("unread counts rise while nobody looks, and a read clears them and reaches the sender", async () => {
    const [alice, bob] = await paired();
    const [a, b] = [await chatTab(alice.port), await chatTab(bob.port)];
    await a.open(bob.identity.nodeId);
    a.send(bob.identity.nodeId, "one");
    a.send(bob.identity.nodeId, "two");
    await eventually(() => b.lastUnread()?.[alice.identity.nodeId] === 2, "two unread on bob");
    const ids = a.messages().map((m) => m.id);
    await eventually(() => ids.every((id) => a.statusOf(id) === "delivered"), "delivered");
    b.read(alice.identity.nodeId, ids[1]!);
    await eventually(() => b.lastUnread()?.[alice.identity.nodeId] === undefined, "bob's unread cleared");
    await eventually(() => ids.every((id) => a.statusOf(id) === "read"), "read receipts on alice");
  });

  test("empty, oversized, unknown and blocked are refused with a reason and nothing is stored", async () => {
    const [alice, bob] = await paired();
    const a = await chatTab(alice.port);
    a.send(bob.identity.nodeId, "   ");
    a.send(bob.identity.nodeId, "é".repeat(9000));
    a.send("a".repeat(16), "hi");
    await api(alice, "POST", `/api/network/peers/${bob.identity.nodeId}/block`);
    a.send(bob.identity.nodeId, "hi");
    await eventually(() => a.errors().length === 4, "four refusals");
    expect(a.errors()).toEqual([
      "the message is empty",
      "the message is 17.6 KiB; the limit is 16.0 KiB",
      "you are not paired with that node",
      "that node is blocked; unblock it to chat",
    ]);
    expect(await history(alice, bob)).toEqual([]);
    expect(await history(bob, alice)).toEqual([]);
  });
});

describe("offline delivery", () => {
  test("messages to an offline peer wait as queued and arrive once, in order, when it returns — even across a sender restart", async () => {
    const [alice, bob] = await paired();
    const bobDir = bob.dataDir;
    const bobPort = bob.port;
    await pool.stop(bob);
    await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "offline", "bob offline");
    const a = await chatTab(alice.port);
    await a.open(bob.identity.nodeId);
    for (const t of ["first", "second", "third"]) a.send(bob.identity.nodeId, t);
    await eventually(() => a.messages().length === 3, "three stored");
    expect(a.messages().map((m) => m.status)).toEqual(["queued", "queued", "queued"]);

    const aliceDir = alice.dataDir;
    await pool.stop(alice);
    // Same ports as before, as real nodes have: each redials the other's last address.
    const alice2 = await pool.start({ dataDir: aliceDir, port: alice.port });
    const bob2 = await pool.start({ dataDir: bobDir, port: bobPort });
    await eventually(() => peerRow(alice2, bob2.identity.nodeId)?.status === "connected", "relinked", 5000);
    await eventually(
      () => alice2.chat.page(bob2.identity.nodeId, 10).messages.every((m) => m.status === "delivered"),
      "delivered",
    );
    expect((await history(bob2, alice2)).map((m) => m.text)).toEqual(["first", "second", "third"]);
  }, 20_000);

  test("a message delivered again after a dropped link is stored once", async () => {
    const [alice, bob] = await paired();
    const a = await chatTab(alice.port);
    a.send(bob.identity.nodeId, "only once");
    await eventually(
      () => (alice.chat.page(bob.identity.nodeId, 10).messages[0]?.status ?? "") === "delivered",
      "delivered",
    );
    // As after a drop that lost the receipt: the sender resends everything unconfirmed.
    const row = alice.chat.page(bob.identity.nodeId, 10).messages[0]!;
    alice.fabric.hub.send(bob.identity.nodeId, "chat_message", { id: row.id, text: row.text, ts: row.ts });
    alice.fabric.hub.send(bob.identity.nodeId, "chat_message", { id: row.id, text: row.text, ts: row.ts });
    await Bun.sleep(200);
    expect((await history(bob, alice)).map((m) => m.text)).toEqual(["only once"]);
  });
});
