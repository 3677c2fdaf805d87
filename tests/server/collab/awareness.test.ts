import { describe, expect, test } from "bun:test";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import type { RunningNode } from "../../../server/node.ts";
import { type CollabTab, collabTab } from "../../helpers/collab-tab.ts";
import { eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";

const pool = nodePool();
const ROOM = "scratch:main";

async function pairNodes(a: RunningNode, b: RunningNode): Promise<void> {
  expect((await pair(b, await mintInvite(a))).body.ok).toBe(true);
  await eventually(() => peerRow(a, b.identity.nodeId)?.status === "connected", "the pair to link");
}

/** A tab's awareness: publishes its own state and keeps everyone else's from `awareness` frames. */
function tabAwareness(t: CollabTab, paneKey: string) {
  const awareness = new Awareness(t.doc);
  awareness.setLocalState(null);
  let seen = 0;
  const pump = () => {
    for (; seen < t.tab.frames.length; seen++) {
      const f = t.tab.frames[seen]!;
      const data = f.data as { paneKey?: string; update?: string };
      if (f.channel !== "collab" || f.event !== "awareness" || data.paneKey !== paneKey) continue;
      applyAwarenessUpdate(awareness, Buffer.from(data.update ?? "", "base64"), "remote");
    }
  };
  t.tab.socket.addEventListener("message", pump);
  pump();
  return {
    awareness,
    publish(state: Record<string, unknown>) {
      awareness.setLocalState(state);
      const update = encodeAwarenessUpdate(awareness, [awareness.clientID]);
      t.tab.send({
        channel: "collab",
        event: "awareness",
        data: { paneKey, update: Buffer.from(update).toString("base64") },
      });
    },
    names: () =>
      [...awareness.getStates().values()]
        .map((s) => (s as { user?: { name?: string } }).user?.name)
        .filter((n) => n !== undefined),
  };
}

const awarenessFrames = (t: CollabTab) => t.tab.frames.filter((f) => f.event === "awareness");

describe("awareness in a room", () => {
  test("alice's caret reaches bob in the note she shared with him, and nobody else", async () => {
    const [alice, bob, carol] = [
      await pool.start({ name: "alice" }),
      await pool.start({ name: "bob" }),
      await pool.start({ name: "carol" }),
    ];
    await pairNodes(alice, bob);
    await pairNodes(alice, carol);
    const carolsOwn = await collabTab(carol.port, ROOM);
    const a = await collabTab(alice.port, ROOM);
    a.insert(0, "shopping list");
    a.share(bob.identity.nodeId);
    await eventually(() => bob.collab.room(`${ROOM}@${alice.identity.nodeId}`) !== undefined, "the share");
    const bobAt = `${ROOM}@${alice.identity.nodeId}`;
    const b = await collabTab(bob.port, bobAt);
    await eventually(() => b.text() === "shopping list", "bob to open the note");
    await eventually(() => alice.collab.room(ROOM)?.linked.has(bob.identity.nodeId) === true, "the link");

    const aliceCarets = tabAwareness(a, ROOM);
    const bobCarets = tabAwareness(b, bobAt);
    const carolCarets = tabAwareness(carolsOwn, ROOM);
    aliceCarets.publish({ user: { name: "alice", color: "#d23f31" }, caret: { anchor: 3, head: 3 } });
    await eventually(() => bobCarets.names().includes("alice"), "bob to see alice's caret");

    // And back: bob's caret reaches alice through the same link.
    bobCarets.publish({ user: { name: "bob", color: "#2a7de1" }, typing: true });
    await eventually(() => aliceCarets.names().includes("bob"), "alice to see bob's caret");

    await Bun.sleep(300);
    expect(awarenessFrames(carolsOwn)).toEqual([]);
    expect(carolCarets.names()).toEqual([]);
    expect(carol.collab.room(`${ROOM}@${alice.identity.nodeId}`)).toBeUndefined();
    // Alice's own tab is never sent her own caret back.
    const echoed = new Awareness(new Y.Doc());
    for (const f of awarenessFrames(a))
      applyAwarenessUpdate(echoed, Buffer.from((f.data as { update: string }).update, "base64"), "test");
    expect(echoed.getStates().has(aliceCarets.awareness.clientID)).toBe(false);
    expect(aliceCarets.names().sort()).toEqual(["alice", "bob"]);
    echoed.destroy();

    // A tab that closes takes its caret with it.
    a.close();
    await eventually(() => !bobCarets.names().includes("alice"), "alice's caret to go from bob's tab");
  });

  test("a tab that opens the note later sees the carets already in it", async () => {
    const alice = await pool.start({ name: "alice" });
    const first = await collabTab(alice.port, ROOM);
    tabAwareness(first, ROOM).publish({ user: { name: "alice", color: "#d23f31" } });
    await eventually(() => alice.collab.room(ROOM)?.awareness?.snapshot() != null, "the caret to arrive");
    const second = await collabTab(alice.port, ROOM);
    const carets = tabAwareness(second, ROOM);
    await eventually(() => carets.names().includes("alice"), "the second tab to see the first one's caret");
  });

  test("a malformed awareness frame is refused with an error and changes nothing", async () => {
    const alice = await pool.start({ name: "alice" });
    const a = await collabTab(alice.port, ROOM);
    const other = await collabTab(alice.port, ROOM);
    const seen = tabAwareness(other, ROOM);
    a.tab.send({
      channel: "collab",
      event: "awareness",
      data: { paneKey: ROOM, update: Buffer.from([5, 1, 200, 255, 7]).toString("base64") },
    });
    const error = await a.tab.next((f) => f.event === "error");
    expect(error.data).toEqual({ message: "not an awareness update", paneKey: ROOM });

    // Not base64 at all: refused at the edge by the schema.
    a.tab.send({ channel: "collab", event: "awareness", data: { paneKey: ROOM, update: "not base64!" } });
    await eventually(() => a.tab.frames.filter((f) => f.event === "error").length === 2, "the second error");

    // Nothing reached the other tab, and the room holds no caret.
    await Bun.sleep(200);
    expect(awarenessFrames(other)).toEqual([]);
    expect(seen.names()).toEqual([]);
    expect(alice.collab.room(ROOM)?.awareness?.snapshot() ?? null).toBeNull();

    // The socket still works: a well-formed caret goes through afterwards.
    tabAwareness(a, ROOM).publish({ user: { name: "alice", color: "#d23f31" } });
    await eventually(() => seen.names().includes("alice"), "the good caret to arrive");
  });

  test("a tab outside the room cannot send carets into it", async () => {
    const alice = await pool.start({ name: "alice" });
    const inRoom = await collabTab(alice.port, ROOM);
    const outsider = await collabTab(alice.port, "scratch:other");
    const probe = new Awareness(new Y.Doc());
    probe.setLocalState({ user: { name: "mallory", color: "#000000" } });
    outsider.tab.send({
      channel: "collab",
      event: "awareness",
      data: {
        paneKey: ROOM,
        update: Buffer.from(encodeAwarenessUpdate(probe, [probe.clientID])).toString("base64"),
      },
    });
    const error = await outsider.tab.next((f) => f.event === "error");
    expect((error.data as { message: string }).message).toBe("join the room before sending carets");
    await Bun.sleep(200);
    expect(awarenessFrames(inRoom)).toEqual([]);
    probe.destroy();
  });
});
