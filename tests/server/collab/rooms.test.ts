import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
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
      "join the room before sending updates",
      "no connected peer to share with",
      "this note is not shared with you (or was deleted)",
    ]);
    expect(node.collab.room(ROOM)?.rev).toBe(0);
    expect(storedRooms(node)).not.toContain(`${ROOM}@abcdefghijklmnop`);
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
