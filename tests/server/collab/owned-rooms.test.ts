import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as Y from "yjs";
import type { RoomListing } from "../../../protocol/collab.ts";
import { MAX_ROOMS_PER_PEER } from "../../../server/collab/collab-service.ts";
import type { RunningNode } from "../../../server/node.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { openTab } from "../../helpers/ws-client.ts";

const pool = nodePool();
const ROOM = "scratch:main";

async function pairNodes(a: RunningNode, b: RunningNode): Promise<void> {
  expect((await pair(b, await mintInvite(a))).body.ok).toBe(true);
  await eventually(() => peerRow(a, b.identity.nodeId)?.status === "connected", "the pair to link");
}

/** Every collab row's owner, key, access and text, read from SQLite with a connection of our own. */
function rows(node: RunningNode): { owner: string; key: string; access: string; text: string }[] {
  const db = new Database(join(node.dataDir, "weft.db"), { readonly: true });
  const found = db
    .query<{ owner_id: string; room_key: string; access: string; state: Uint8Array }, []>(
      "SELECT owner_id, room_key, access, state FROM collab_rooms",
    )
    .all();
  db.close();
  return found.map((r) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(r.state));
    return { owner: r.owner_id, key: r.room_key, access: r.access, text: doc.getText("text").toString() };
  });
}

const at = (owner: RunningNode) => `${ROOM}@${owner.identity.nodeId}`;

describe("owned rooms", () => {
  test("sharing never merges: the guest's private text stays on the guest, even in the owner's database", async () => {
    const [alice, carol] = [await pool.start({ name: "alice" }), await pool.start({ name: "carol" })];
    await pairNodes(alice, carol);
    // Everything carol's node sends alice, decoded: Yjs carries inserted text as UTF-8 bytes.
    const toAlice: string[] = [];
    const hub = carol.fabric.hub;
    const send = hub.send.bind(hub);
    hub.send = (to, type, data, re) => {
      if (to === alice.identity.nodeId && type.startsWith("collab_")) {
        const d = data as { update?: string };
        toAlice.push(
          `${type} ${d.update ? Buffer.from(d.update, "base64").toString("latin1") : JSON.stringify(d)}`,
        );
      }
      return send(to, type, data, re);
    };
    const carolsOwn = await collabTab(carol.port, ROOM);
    carolsOwn.insert(0, "carol's private line");
    const a = await collabTab(alice.port, ROOM);
    a.insert(0, "alice's shared text");
    a.share(carol.identity.nodeId);

    // The share is an invitation: nothing is fetched until carol opens it.
    await eventually(
      () => carol.notices.list().notices.some((n) => n.kind === "share_received"),
      "the notice",
    );
    const notice = carol.notices.list().notices.find((n) => n.kind === "share_received")!;
    expect(notice.text).toBe("alice shared Scratch with you");
    expect(notice.action).toEqual({ label: "Open", paneId: "scratch", params: { room: at(alice) } });
    await Bun.sleep(300);
    expect(carol.collab.room(at(alice))?.access).toBe("invited");
    expect(rows(carol).find((r) => r.owner === alice.identity.nodeId)).toMatchObject({
      access: "invited",
      text: "",
    });

    const opened = await collabTab(carol.port, at(alice));
    await eventually(() => opened.text() === "alice's shared text", "carol to see alice's text");
    opened.insert(0, "carol in alice's note: ");
    await eventually(
      () => a.text() === "carol in alice's note: alice's shared text",
      "alice to see carol's edit",
    );

    await Bun.sleep(700);
    expect(carolsOwn.text()).toBe("carol's private line");
    expect(a.text()).not.toContain("private");
    expect(
      rows(alice)
        .map((r) => r.text)
        .join("|"),
    ).not.toContain("private");
    expect(rows(alice).every((r) => r.owner === "")).toBe(true);
    const carolRows = rows(carol);
    expect(carolRows.find((r) => r.owner === "")?.text).toBe("carol's private line");
    expect(carolRows.find((r) => r.owner === alice.identity.nodeId)).toMatchObject({ access: "guest" });
  });

  test("a paired node the room was not shared with receives nothing, not even in its database", async () => {
    const [alice, bob, carol] = [await pool.start(), await pool.start(), await pool.start()];
    await pairNodes(alice, bob);
    await pairNodes(alice, carol);
    const a = await collabTab(alice.port, ROOM);
    a.share(bob.identity.nodeId);
    a.insert(0, "for bob only");
    const b = await collabTab(bob.port, at(alice));
    await eventually(() => b.text() === "for bob only", "bob to get it");
    await Bun.sleep(700);
    expect(carol.collab.room(at(alice))).toBeUndefined();
    expect(rows(carol)).toEqual([]);
    expect(carol.notices.list().notices.filter((n) => n.kind === "share_received")).toEqual([]);
  });

  test("unshare tells the guest, leaves a read-only copy, and the copy can be deleted", async () => {
    const [alice, bob] = [await pool.start({ name: "alice" }), await pool.start({ name: "bob" })];
    await pairNodes(alice, bob);
    const a = await collabTab(alice.port, ROOM);
    a.insert(0, "x");
    a.share();
    await eventually(() => bob.collab.room(at(alice)) !== undefined, "the invitation");
    const b = await collabTab(bob.port, at(alice));
    await eventually(() => b.text() === "x", "the shared text");

    a.unshare();
    const sharing = await b.tab.next(
      (f) => f.event === "sharing" && (f.data as { access: string }).access === "revoked",
    );
    expect(sharing.data).toMatchObject({ paneKey: at(alice), access: "revoked" });
    await eventually(() => bob.notices.list().notices.some((n) => n.kind === "share_revoked"), "the notice");
    expect(bob.notices.list().notices.find((n) => n.kind === "share_revoked")?.text).toBe(
      "alice stopped sharing Scratch",
    );

    b.insert(0, "late ");
    const refused = await b.tab.next((f) => f.event === "error");
    expect(refused.data).toEqual({
      message: "its owner stopped sharing this: it is read-only",
      paneKey: at(alice),
    });
    a.insert(1, " after");
    await Bun.sleep(300);
    expect(bob.collab.room(at(alice))?.doc.getText("text").toString()).toBe("x");
    expect(a.text()).toBe("x after");

    b.tab.send({ channel: "collab", event: "delete", data: { paneKey: at(alice) } });
    await b.tab.next((f) => f.event === "deleted");
    await eventually(() => rows(bob).length === 0, "the copy to go");
  });

  test("a share that was never opened disappears when its owner stops sharing", async () => {
    const [alice, bob] = [await pool.start({ name: "alice" }), await pool.start({ name: "bob" })];
    await pairNodes(alice, bob);
    const a = await collabTab(alice.port, ROOM);
    a.share();
    await eventually(() => bob.collab.room(at(alice))?.access === "invited", "the invitation");
    a.unshare();
    await eventually(() => bob.collab.room(at(alice)) === undefined, "the invitation to go");
    await eventually(() => rows(bob).length === 0, "its row to go");
  });

  test("a guest that deletes its copy is no longer shared with", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    await pairNodes(alice, bob);
    const a = await collabTab(alice.port, ROOM);
    a.share();
    await eventually(() => bob.collab.room(at(alice)) !== undefined, "the invitation");
    const b = await collabTab(bob.port, at(alice));
    b.tab.send({ channel: "collab", event: "delete", data: { paneKey: at(alice) } });
    await eventually(() => alice.collab.room(ROOM)?.sharedWith.size === 0, "alice to stop sharing with bob");
  });

  test("a guest that was offline while the owner edited catches up when it reconnects", async () => {
    const [alice, bob] = [await pool.start(), await pool.start()];
    await pairNodes(alice, bob);
    const a = await collabTab(alice.port, ROOM);
    a.share();
    await eventually(() => bob.collab.room(at(alice)) !== undefined, "the invitation");
    (await collabTab(bob.port, at(alice))).close();
    await eventually(() => bob.collab.room(at(alice))?.access === "guest", "bob to open it");
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
      () => bob2.collab.room(at(alice))?.doc.getText("text").toString() === "written while bob was away",
      "bob to catch up",
    );
  });

  test("a share made while the peer was offline reaches it when it returns", async () => {
    const [alice, bob] = [await pool.start({ name: "alice" }), await pool.start()];
    await pairNodes(alice, bob);
    const bobDir = bob.dataDir;
    await pool.stop(bob);
    const a = await collabTab(alice.port, ROOM);
    a.share(bob.identity.nodeId);
    const bob2 = await pool.start({ dataDir: bobDir });
    await eventually(() => bob2.collab.room(at(alice))?.access === "invited", "the invitation", 5000);
    expect(bob2.notices.list().notices.filter((n) => n.kind === "share_received")).toHaveLength(1);
  });

  test("the room list shows my notes with whom they are shared, and notes shared with me under their owner", async () => {
    const [alice, bob] = [await pool.start({ name: "alice" }), await pool.start({ name: "bob" })];
    await pairNodes(alice, bob);
    const groceries = await collabTab(alice.port, "scratch:groceries");
    groceries.doc.getMap("meta").set("title", "Groceries");
    groceries.share(bob.identity.nodeId);
    await collabTab(bob.port, ROOM);
    const tab = await openTab(bob.port);
    tab.send({ channel: "collab", event: "rooms", data: { paneId: "scratch" } });
    const listed = async () => {
      const frame = await tab.next(
        (f) =>
          f.event === "rooms" && (f.data as { rooms: RoomListing[] }).rooms.some((r) => r.owner !== null),
      );
      return (frame.data as { rooms: RoomListing[] }).rooms;
    };
    const rooms = await listed();
    expect(rooms.find((r) => r.owner === null)).toMatchObject({
      paneKey: ROOM,
      access: "owner",
      sharedWith: [],
    });
    expect(rooms.find((r) => r.owner !== null)).toMatchObject({
      paneKey: `scratch:groceries@${alice.identity.nodeId}`,
      title: "Groceries",
      owner: { node_id: alice.identity.nodeId, node_name: "alice" },
      access: "invited",
    });
    const own = alice.collab.listing("scratch").find((r) => r.paneKey === "scratch:groceries");
    expect(own?.sharedWith).toEqual([{ node_id: bob.identity.nodeId, node_name: "bob" }]);
  });
});

describe("a peer that shares too much", () => {
  test("past the per-peer limit, shares are refused and nothing more is stored", async () => {
    const [alice, mallory] = [await pool.start(), await pool.start()];
    await pairNodes(alice, mallory);
    for (let i = 0; i <= MAX_ROOMS_PER_PEER; i++) {
      mallory.fabric.hub.send(alice.identity.nodeId, "collab_share", { room: `scratch:n-${i}` });
    }
    await eventually(() => rows(alice).length === MAX_ROOMS_PER_PEER, "the first shares", 10_000);
    await Bun.sleep(300);
    expect(rows(alice)).toHaveLength(MAX_ROOMS_PER_PEER);
    expect(alice.collab.roomOf(mallory.identity.nodeId, `scratch:n-${MAX_ROOMS_PER_PEER}`)).toBeUndefined();
  });
});

describe("peers outside a room", () => {
  test("updates and syncs for rooms a peer was not given, or of a third node, are dropped", async () => {
    const [alice, mallory] = [await pool.start(), await pool.start()];
    await pairNodes(alice, mallory);
    const a = await collabTab(alice.port, ROOM);
    a.insert(0, "private");
    await eventually(() => alice.collab.room(ROOM)?.rev === 1, "alice's own edit");

    const forged = new Y.Doc();
    forged.getText("text").insert(0, "overwritten ");
    const update = Buffer.from(Y.encodeStateAsUpdate(forged)).toString("base64");
    const send = (type: string, data: unknown) =>
      expect(mallory.fabric.hub.sendRaw(alice.identity.nodeId, type, data)).toBe(true);
    // Alice's own room, never shared with mallory.
    send("collab_update", { room: ROOM, owner: alice.identity.nodeId, update });
    send("collab_sync", { room: ROOM, owner: alice.identity.nodeId, sv: "AA==" });
    // A room "of mallory's" that alice never opened, and one of a third node.
    send("collab_update", { room: ROOM, owner: mallory.identity.nodeId, update });
    send("collab_update", { room: ROOM, owner: "abcdefghijklmnop", update });
    await Bun.sleep(300);
    expect(alice.collab.room(ROOM)?.doc.getText("text").toString()).toBe("private");
    expect(alice.collab.room(ROOM)?.rev).toBe(1);
    expect(alice.collab.room(`${ROOM}@${mallory.identity.nodeId}`)).toBeUndefined();
    await eventually(() => rows(alice).length > 0, "alice's room to be saved");
    expect(rows(alice).map((r) => r.owner)).toEqual([""]);
    // Judging the frames loaded nothing that stays: only the room alice's tab has open.
    expect(alice.collab.loadedRooms).toBe(1);
  });
});
