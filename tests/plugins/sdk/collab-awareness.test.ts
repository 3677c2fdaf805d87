import { describe, expect, test } from "bun:test";
import { get } from "svelte/store";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { colourFor } from "../../../plugins/sdk/collab-awareness.ts";
import type { NodeInfo } from "../../../plugins/sdk/host.ts";
import { TYPING_IDLE_MS, useCollab } from "../../../plugins/sdk/use-collab.ts";
import { fakeHost } from "./fake-host.ts";
import { FakeRoom } from "./fake-room.ts";

const KEY = "scratch:main";

/** A tab on the node named `name`, in `room`, joined and live. */
function tabOf(room: FakeRoom, name: string) {
  const fake = fakeHost();
  Object.defineProperty(fake.host, "node", { value: { node_id: "x", node_name: name } as NodeInfo });
  room.attach(fake);
  const collab = useCollab(KEY, fake.host);
  room.deliverAll();
  return { fake, collab };
}

describe("carets in a room", () => {
  test("bob sees alice's caret with her name and colour, and it moves when text goes in before it", () => {
    const room = new FakeRoom(KEY);
    const alice = tabOf(room, "alice");
    const bob = tabOf(room, "bob");
    alice.collab.setText("hello world");
    room.deliverAll();
    alice.collab.setLocalCaret({ anchor: 6, head: 11 });
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)).toEqual([
      {
        clientId: alice.collab.doc.clientID,
        name: "alice",
        color: colourFor(alice.collab.doc.clientID),
        anchor: 6,
        head: 11,
        typing: true,
      },
    ]);
    // Alice never sees her own caret among the others'.
    expect(get(alice.collab.remoteCarets)).toEqual([]);

    bob.collab.setText(">> hello world");
    room.deliverAll();
    const [caret] = get(bob.collab.remoteCarets);
    expect([caret?.anchor, caret?.head]).toEqual([9, 14]);
    expect(bob.collab.ytext.toString().slice(caret?.anchor, caret?.head)).toBe("world");

    alice.collab.setLocalCaret(null);
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)).toEqual([]);
  });

  test("typing shows while alice edits and clears once she has been idle", async () => {
    const room = new FakeRoom(KEY);
    const alice = tabOf(room, "alice");
    const bob = tabOf(room, "bob");
    alice.collab.setLocalCaret({ anchor: 0, head: 0 });
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)[0]?.typing).toBe(false);
    alice.collab.setText("a");
    alice.collab.setLocalCaret({ anchor: 1, head: 1 });
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)[0]).toMatchObject({ typing: true, anchor: 1 });
    await Bun.sleep(TYPING_IDLE_MS + 200);
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)[0]?.typing).toBe(false);
    alice.collab.destroy();
    bob.collab.destroy();
  });

  test("a tab that leaves takes its caret with it", () => {
    const room = new FakeRoom(KEY);
    const alice = tabOf(room, "alice");
    const bob = tabOf(room, "bob");
    alice.collab.setLocalCaret({ anchor: 0, head: 0 });
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)).toHaveLength(1);
    alice.collab.destroy();
    room.deliverAll();
    expect(get(bob.collab.remoteCarets)).toEqual([]);
    bob.collab.destroy();
  });

  test("a state off the contract, or bytes that are no awareness update, show no caret and break nothing", () => {
    const fake = fakeHost();
    const collab = useCollab(KEY, fake.host);
    const other = new Awareness(new Y.Doc());
    other.setLocalState({
      user: { name: "mallory", color: "red;background:url(x)" },
      caret: { anchor: null, head: null },
    });
    const push = (update: string) =>
      fake.push("collab", { event: "awareness", data: { paneKey: KEY, update } });
    push(btoa(String.fromCharCode(...encodeAwarenessUpdate(other, [other.clientID]))));
    push(btoa("\u0005\u0001garbage"));
    push("%%% not base64");
    expect(get(collab.remoteCarets)).toEqual([]);
    other.destroy();
    collab.destroy();
  });
});
