import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as Y from "yjs";
import type { RunningNode } from "../../../server/node.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();
const ROOM = "scratch:main";

async function pairNodes(a: RunningNode, b: RunningNode): Promise<void> {
  expect((await pair(b, await mintInvite(a))).body.ok).toBe(true);
  await eventually(() => peerRow(a, b.identity.nodeId)?.status === "connected", "the pair to link");
}

function storedRooms(node: RunningNode): string[] {
  const db = new Database(join(node.dataDir, "weft.db"), { readonly: true });
  const keys = db
    .query<{ room_key: string }, []>("SELECT room_key FROM collab_rooms")
    .all()
    .map((r) => r.room_key);
  db.close();
  return keys;
}

describe("rooms on one node", () => {
  test("two tabs in a room see each other's edits and rev only grows", async () => {
    const node = await pool.start();
    const [a, b] = [await collabTab(node.port, ROOM), await collabTab(node.port, ROOM)];
    a.insert(0, "hello");
    await eventually(() => b.text() === "hello", "tab b to see hello");
    b.insert(5, " world");
    await eventually(() => a.text() === "hello world", "tab a to see the reply");
    const revs = a.tab.frames.filter((f) => f.event === "update").map((f) => (f.data as { rev: number }).rev);
    expect(revs.length).toBeGreaterThan(0);
    expect([...revs].sort((x, y) => x - y)).toEqual(revs);
    const presence = a.tab.frames.filter((f) => f.event === "presence").at(-1)?.data as {
      members: unknown[];
    };
    expect(presence.members).toHaveLength(2);
  });

  test("bad frames get an error and change nothing", async () => {
    const node = await pool.start();
    const a = await collabTab(node.port, ROOM);
    const raw = a.tab;
    raw.send({ channel: "collab", event: "join", data: { paneKey: "nopane:main" } });
    raw.send({ channel: "collab", event: "update", data: { paneKey: ROOM, update: "AQID" } });
    raw.send({ channel: "collab", event: "update", data: { paneKey: "about:main", update: "AAA=" } });
    raw.send({ channel: "collab", event: "share", data: { paneKey: ROOM } });
    await eventually(
      () => raw.frames.filter((f) => f.channel === "collab" && f.event === "error").length === 4,
      "four errors",
    );
    const messages = raw.frames
      .filter((f) => f.event === "error")
      .map((f) => (f.data as { message: string }).message);
    expect(messages).toEqual([
      'no pane "nopane" on this node',
      "not a Yjs update",
      "join the room before sending updates",
      "no connected peer to share with",
    ]);
    expect(node.collab.room(ROOM)?.rev).toBe(0);
  });

  test("a room comes back after a restart, with its rev", async () => {
    const node = await pool.start();
    const a = await collabTab(node.port, ROOM);
    a.insert(0, "kept across restarts");
    await eventually(
      () => node.collab.room(ROOM)?.doc.getText("text").toString() === "kept across restarts",
      "the edit",
    );
    const rev = node.collab.room(ROOM)!.rev;
    a.close();
    const dataDir = node.dataDir;
    await pool.stop(node);
    const again = await pool.start({ dataDir });
    const b = await collabTab(again.port, ROOM);
    expect(b.text()).toBe("kept across restarts");
    expect(again.collab.room(ROOM)?.rev).toBe(rev);
  });

  test("a change is saved within a second, without a clean stop", async () => {
    const node = await pool.start();
    const a = await collabTab(node.port, ROOM);
    a.insert(0, "saved soon");
    await eventually(() => storedRooms(node).includes(ROOM), "the room row", 1500);
  });
});

describe("rooms shared between nodes", () => {
  test("sharing shows a notice on the peer, and edits flow both ways", async () => {
    const [alice, bob] = [await pool.start({ name: "alice" }), await pool.start({ name: "bob" })];
    await pairNodes(alice, bob);
    const bobShell = await collabTab(bob.port, "about:main");
    const a = await collabTab(alice.port, ROOM);
    a.insert(0, "from alice");
    a.share();
    const notice = await bobShell.tab.next((f) => f.event === "room_shared");
    expect(notice.data).toEqual({
      paneKey: ROOM,
      paneId: "scratch",
      by: { node_id: alice.identity.nodeId, node_name: "alice" },
    });
    const b = await collabTab(bob.port, ROOM);
    await eventually(() => b.text() === "from alice", "bob to catch up");
    b.insert(0, "bob: ");
    await eventually(() => a.text() === "bob: from alice", "alice to see bob's edit");
  });

  test("a paired node the room was not shared with receives nothing, not even in its database", async () => {
    const [alice, bob, carol] = [await pool.start(), await pool.start(), await pool.start()];
    await pairNodes(alice, bob);
    await pairNodes(alice, carol);
    const a = await collabTab(alice.port, ROOM);
    a.share(bob.identity.nodeId);
    a.insert(0, "for bob only");
    const b = await collabTab(bob.port, ROOM);
    await eventually(() => b.text() === "for bob only", "bob to get it");
    await Bun.sleep(1200);
    const carolsTab = await collabTab(carol.port, ROOM);
    expect(carolsTab.text()).toBe("");
    expect(carol.collab.room(ROOM)?.sharedWith.size).toBe(0);
    expect(storedRooms(carol)).toEqual([]);
  });

  test("unshare stops the flow both ways", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    await pairNodes(alice, bob);
    const a = await collabTab(alice.port, ROOM);
    a.share();
    const b = await collabTab(bob.port, ROOM);
    a.insert(0, "x");
    await eventually(() => b.text() === "x", "the shared edit");
    a.unshare();
    await eventually(() => bob.collab.room(ROOM)?.sharedWith.size === 0, "bob to drop alice from the room");
    a.insert(1, "a-only");
    b.insert(0, "b-only");
    await Bun.sleep(300);
    expect(a.text()).toBe("xa-only");
    expect(b.text()).toBe("b-onlyx");
  });

  test("a node that was offline while the other edited catches up when it reconnects", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    await pairNodes(alice, bob);
    const a = await collabTab(alice.port, ROOM);
    a.share();
    await eventually(
      () => bob.collab.room(ROOM)?.sharedWith.has(alice.identity.nodeId) === true,
      "the share",
    );
    const bobDir = bob.dataDir;
    await pool.stop(bob);
    a.insert(0, "written while bob was away");
    const bob2 = await pool.start({ dataDir: bobDir });
    await eventually(
      () => peerRow(alice, bob2.identity.nodeId)?.status === "connected",
      "bob to come back",
      5000,
    );
    await eventually(
      () => bob2.collab.room(ROOM)?.doc.getText("text").toString() === "written while bob was away",
      "bob to catch up",
    );
  });
});

describe("peers outside a room", () => {
  test("an update or a sync from a paired peer the room is not shared with is dropped", async () => {
    const [alice, mallory] = [await pool.start(), await pool.start()];
    await pairNodes(alice, mallory);
    const a = await collabTab(alice.port, ROOM);
    a.insert(0, "private");
    await eventually(() => alice.collab.room(ROOM)?.rev === 1, "alice's own edit");

    // Mallory writes a real Yjs update for the room and sends it straight over the peer wire.
    const forged = new Y.Doc();
    forged.getText("text").insert(0, "overwritten ");
    const update = Buffer.from(Y.encodeStateAsUpdate(forged)).toString("base64");
    expect(mallory.fabric.hub.send(alice.identity.nodeId, "collab_update", { room: ROOM, update })).toBe(
      true,
    );
    // A sync opener would make alice answer with the room's contents if she let mallory in.
    // Mallory's own room lists alice, so any answer would land in mallory's document.
    mallory.collab.room(ROOM)?.sharedWith.add(alice.identity.nodeId);
    expect(mallory.fabric.hub.send(alice.identity.nodeId, "collab_sync", { room: ROOM, sv: "AA==" })).toBe(
      true,
    );
    await Bun.sleep(300);
    expect(alice.collab.room(ROOM)?.doc.getText("text").toString()).toBe("private");
    expect(alice.collab.room(ROOM)?.rev).toBe(1);
    expect(mallory.collab.room(ROOM)?.doc.getText("text").toString()).toBe("");
  });
});
