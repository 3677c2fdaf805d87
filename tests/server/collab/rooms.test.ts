import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as Y from "yjs";
import type { RunningNode } from "../../../server/node.ts";
import { collabTab } from "../../helpers/collab-tab.ts";
import { eventually, nodePool } from "../../helpers/peer-nodes.ts";

const pool = nodePool();
const ROOM = "scratch:main";

/** Stored rooms by address: `key` for my own, `key@owner` for another node's. */
function storedRooms(node: RunningNode): string[] {
  const db = new Database(join(node.dataDir, "weft.db"), { readonly: true });
  const rows = db
    .query<{ owner_id: string; room_key: string }, []>("SELECT owner_id, room_key FROM collab_rooms")
    .all();
  db.close();
  return rows.map((r) => (r.owner_id ? `${r.room_key}@${r.owner_id}` : r.room_key));
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
    raw.send({ channel: "collab", event: "join", data: { paneKey: `${ROOM}@abcdefghijklmnop` } });
    await eventually(
      () => raw.frames.filter((f) => f.channel === "collab" && f.event === "error").length === 5,
      "five errors",
    );
    const messages = raw.frames
      .filter((f) => f.event === "error")
      .map((f) => (f.data as { message: string }).message);
    expect(messages).toEqual([
      'no pane "nopane" on this node',
      "not a Yjs update",
      'the "about" pane has no shared rooms',
      "no connected peer to share with",
      "this note is not shared with you (or was deleted)",
    ]);
    expect(node.collab.room(ROOM)?.rev).toBe(0);
    expect(storedRooms(node)).not.toContain(`${ROOM}@abcdefghijklmnop`);
  });

  test("an update that decodes but fails halfway through is refused whole and changes nothing", async () => {
    const node = await pool.start();
    const a = await collabTab(node.port, "scratch:repro");
    a.insert(0, "kept");
    await eventually(() => node.collab.room("scratch:repro")?.rev === 1, "the first edit");
    const before = Y.encodeStateAsUpdate(node.collab.room("scratch:repro")!.doc);
    // Decodes as a Yjs update; its third struct names a right origin that does not exist.
    const broken = "AQOy8hkABAEEdGV4dAVoZWxsb4Sy8hkECiBmdXp6IHJvb23EsvIZBLLyGTwEIGJpZwA=";
    a.tab.send({ channel: "collab", event: "update", data: { paneKey: "scratch:repro", update: broken } });
    const refused = await a.tab.next((f) => f.event === "error");
    expect(refused.data).toEqual({
      message: "a Yjs update that does not apply to this room",
      paneKey: "scratch:repro",
    });
    const room = node.collab.room("scratch:repro")!;
    expect(Buffer.from(Y.encodeStateAsUpdate(room.doc))).toEqual(Buffer.from(before));
    expect(room.doc.getText("text").toString()).toBe("kept");
    expect(room.rev).toBe(1);
    // The room still takes good edits afterwards.
    a.insert(4, "!");
    await eventually(
      () => node.collab.room("scratch:repro")?.doc.getText("text").toString() === "kept!",
      "a good edit",
    );
  });

  test("a room nobody has open is unloaded; one never written to is not kept at all", async () => {
    const node = await pool.start();
    const empty = await collabTab(node.port, "scratch:empty");
    const full = await collabTab(node.port, "scratch:full");
    full.insert(0, "something");
    await eventually(() => node.collab.room("scratch:full")?.rev === 1, "the edit");
    expect(node.collab.loadedRooms).toBe(2);
    for (const [tab, key] of [
      [empty, "scratch:empty"],
      [full, "scratch:full"],
    ] as const) {
      tab.tab.send({ channel: "collab", event: "leave", data: { paneKey: key } });
    }
    await eventually(() => node.collab.loadedRooms === 0, "both rooms to unload");
    expect(storedRooms(node)).toEqual(["scratch:full"]);
    const again = await collabTab(node.port, "scratch:full");
    expect(again.text()).toBe("something");
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
