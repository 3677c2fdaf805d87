import { describe, expect, test } from "bun:test";
import { get } from "svelte/store";
import * as Y from "yjs";
import { captureCaret, paneKeyFor, useCollab } from "../../../plugins/sdk/use-collab.ts";
import { paneKey as paneKeySchema } from "../../../protocol/collab.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";
import { fakeHost } from "./fake-host.ts";
import { FakeRoom } from "./fake-room.ts";

const KEY = "scratch:main";

/** A tab: a fake host wired to the room, with a collab on it that has joined and gone live. */
function tabIn(room: FakeRoom) {
  const fake = fakeHost();
  room.attach(fake);
  const collab = useCollab(KEY, fake.host);
  return { fake, collab };
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * One random edit of `text`: insert, delete or replace a short run somewhere in it. Positions are
 * UTF-16 offsets, so an edit may cut an emoji in half, which no keyboard does but code might.
 */
function randomEdit(text: string, random: () => number, alphabet: string): string {
  const at = Math.floor(random() * (text.length + 1));
  const kind = random();
  // By code point: an emoji is typed whole, as a keyboard or paste does.
  const letters = [...alphabet];
  const word = Array.from(
    { length: 1 + Math.floor(random() * 4) },
    () => letters[Math.floor(random() * letters.length)],
  ).join("");
  if (kind < 0.6 || text.length === 0) return text.slice(0, at) + word + text.slice(at);
  const end = Math.min(text.length, at + 1 + Math.floor(random() * 3));
  return kind < 0.8 ? text.slice(0, at) + text.slice(end) : text.slice(0, at) + word + text.slice(end);
}

describe("useCollab", () => {
  test("joins on creation and goes live on the room's state", () => {
    const room = new FakeRoom(KEY);
    const { fake, collab } = tabIn(room);
    expect(fake.sent[0]).toEqual({ channel: "collab", event: "join", data: { paneKey: KEY } });
    expect(get(collab.status)).toBe("joining");
    room.deliverAll();
    expect(get(collab.status)).toBe("live");
    expect(get(collab.members)).toHaveLength(1);
    expect(get(collab.shared)).toBe(false);
  });

  test("setText sends one minimal update and the other tab sees it", () => {
    const room = new FakeRoom(KEY);
    const a = tabIn(room);
    const b = tabIn(room);
    room.deliverAll();
    a.collab.setText("hello world");
    room.deliverAll();
    const before = a.fake.sent.length;
    a.collab.setText("hello, world");
    expect(a.fake.sent.length).toBe(before + 1);
    room.deliverAll();
    expect(get(b.collab.text)).toBe("hello, world");
    expect(room.text()).toBe("hello, world");
    expect(get(b.collab.rev)).toBe(room.rev);
    // Equal text: nothing to send.
    a.collab.setText("hello, world");
    expect(a.fake.sent.length).toBe(before + 1);
  });

  test.each([1, 2, 3, 42, 1234])(
    "two tabs converge under random concurrent setText calls (seed %d)",
    (seed) => {
      const random = seededRandom(seed);
      const room = new FakeRoom(KEY);
      const tabs = [tabIn(room), tabIn(room)];
      room.deliverAll();
      for (let step = 0; step < 300; step++) {
        const r = random();
        if (r < 0.6) {
          const tab = tabs[Math.floor(random() * tabs.length)]!;
          tab.collab.setText(randomEdit(get(tab.collab.text), random, "abcxyz😀 \n"));
        } else if (room.pending > 0) {
          room.deliverOne(random());
        }
      }
      room.deliverAll();
      const [a, b] = tabs.map((t) => get(t.collab.text));
      expect(a).toBe(b!);
      expect(a).toBe(room.text());
      expect(a).toBe(tabs[0]!.collab.ytext.toString());
    },
  );

  test("concurrent inserts only: every character either tab typed is in the result", () => {
    const random = seededRandom(7);
    const room = new FakeRoom(KEY);
    const a = tabIn(room);
    const b = tabIn(room);
    room.deliverAll();
    const typed = { a: "", b: "" };
    for (let i = 0; i < 200; i++) {
      const [tab, letters, who] = random() < 0.5 ? [a, "ABCDE", "a" as const] : [b, "vwxyz", "b" as const];
      const text = get(tab.collab.text);
      const at = Math.floor(random() * (text.length + 1));
      const ch = letters.charAt(i % letters.length);
      typed[who] += ch;
      tab.collab.setText(text.slice(0, at) + ch + text.slice(at));
      if (random() < 0.3 && room.pending > 0) room.deliverOne(random());
    }
    room.deliverAll();
    const result = get(a.collab.text);
    expect(get(b.collab.text)).toBe(result);
    expect(result.length).toBe(200);
    expect([...result].sort().join("")).toBe([...(typed.a + typed.b)].sort().join(""));
  });

  test("edits made offline merge when the state after a reconnect arrives", () => {
    const room = new FakeRoom(KEY);
    const a = tabIn(room);
    const b = tabIn(room);
    room.deliverAll();
    a.collab.setText("shared line\n");
    room.deliverAll();

    a.fake.setOnline(false);
    room.drop(a.fake);
    a.collab.setText("shared line\noffline from a\n");
    expect(get(a.collab.status)).toBe("offline");
    b.collab.setText("b was here\nshared line\n");
    room.deliverAll();
    expect(room.text()).toBe("b was here\nshared line\n");

    a.fake.reconnect();
    expect(a.fake.sent.at(-1)?.event).toBe("join");
    expect(get(a.collab.status)).toBe("joining");
    room.deliverAll();
    expect(get(a.collab.status)).toBe("live");
    const expected = "b was here\nshared line\noffline from a\n";
    expect(get(a.collab.text)).toBe(expected);
    expect(get(b.collab.text)).toBe(expected);
    expect(room.text()).toBe(expected);
  });

  test("a tab that already has everything sends nothing back on state", () => {
    const room = new FakeRoom(KEY);
    const a = tabIn(room);
    room.deliverAll();
    a.collab.setText("abc");
    room.deliverAll();
    const sent = a.fake.sent.length;
    a.fake.reconnect();
    room.deliverAll();
    expect(a.fake.sent.slice(sent).map((f) => f.event)).toEqual(["join"]);
  });

  test("a collab made before the socket opened joins on the first welcome", () => {
    const room = new FakeRoom(KEY);
    const fake = fakeHost();
    room.attach(fake);
    fake.setOnline(false);
    const collab = useCollab(KEY, fake.host);
    expect(fake.sent).toEqual([]);
    fake.setOnline(true);
    fake.push("system", { event: "welcome", data: {} });
    room.deliverAll();
    expect(fake.sent[0]?.event).toBe("join");
    expect(get(collab.status)).toBe("live");
  });

  test("malformed frames and frames for other rooms are ignored", () => {
    const room = new FakeRoom(KEY);
    const { fake, collab } = tabIn(room);
    room.deliverAll();
    collab.setText("keep me");
    const rev = get(collab.rev);
    const other = new Y.Doc();
    other.getText("text").insert(0, "not yours");
    const foreign = b64(Y.encodeStateAsUpdate(other));
    const junk: unknown[] = [
      null,
      "update",
      { event: "update" },
      { event: "update", data: { paneKey: KEY, rev: "1", update: foreign, from: "x" } },
      { event: "update", data: { paneKey: KEY, rev: 1, update: "%%%not base64%%%", from: "x" } },
      { event: "update", data: { paneKey: KEY, rev: 1, update: "AQID", from: "x" } },
      { event: "update", data: { paneKey: "other:main", rev: 9, update: foreign, from: "x" } },
      {
        event: "state",
        data: { paneKey: "other:main", rev: 9, update: foreign, members: [], sharedWith: ["n"] },
      },
      { event: "presence", data: { paneKey: KEY, members: [{ id: 1 }] } },
      { event: "sharing", data: { paneKey: "other:main", sharedWith: ["n"], access: "owner" } },
      { event: "surprise", data: {} },
    ];
    for (const frame of junk) fake.push("collab", frame as never);
    expect(get(collab.text)).toBe("keep me");
    expect(get(collab.status)).toBe("live");
    expect(get(collab.sharedWith)).toEqual([]);
    expect(get(collab.members)).toHaveLength(1);
    expect(get(collab.rev)).toBe(rev);
  });

  test("a room whose owner stops sharing turns read-only here and refuses local edits", () => {
    const room = new FakeRoom(KEY);
    const { fake, collab } = tabIn(room);
    room.deliverAll();
    collab.setText("before");
    room.deliverAll();
    fake.push("collab", { event: "sharing", data: { paneKey: KEY, sharedWith: [], access: "revoked" } });
    expect(get(collab.access)).toBe("revoked");
    const sent = fake.sent.length;
    collab.setText("after");
    expect(get(collab.text)).toBe("before");
    expect(fake.sent.length).toBe(sent);
  });

  test("the title is shared through the document, and a deleted room says so", () => {
    const room = new FakeRoom(KEY);
    const { fake, collab } = tabIn(room);
    const other = tabIn(room);
    room.deliverAll();
    collab.setTitle("  Groceries  ");
    room.deliverAll();
    expect(get(collab.title)).toBe("Groceries");
    expect(get(other.collab.title)).toBe("Groceries");
    collab.setTitle("x".repeat(500));
    expect(get(collab.title)).toHaveLength(120);
    expect(get(collab.deleted)).toBe(false);
    fake.push("collab", { event: "deleted", data: { paneKey: "other:main" } });
    expect(get(collab.deleted)).toBe(false);
    fake.push("collab", { event: "deleted", data: { paneKey: KEY } });
    expect(get(collab.deleted)).toBe(true);
  });

  test("presence, sharing and errors for the room update its stores", () => {
    const room = new FakeRoom(KEY);
    const { fake, collab } = tabIn(room);
    room.deliverAll();
    const errors: string[] = [];
    collab.onError((m) => errors.push(m));
    fake.push("collab", {
      event: "sharing",
      data: { paneKey: KEY, sharedWith: ["abcdefghijklmnop"], access: "owner" },
    });
    expect(get(collab.shared)).toBe(true);
    const bob = { id: "abcdefghijklmnop", name: "bob", kind: "node", self: false };
    fake.push("collab", { event: "presence", data: { paneKey: KEY, members: [bob] } });
    expect(get(collab.members).map((m) => m.name)).toEqual(["bob"]);
    fake.push("collab", {
      event: "error",
      data: { message: "no connected peer to share with", paneKey: KEY },
    });
    fake.push("collab", {
      event: "error",
      data: { message: "no connected peer to share with", paneKey: KEY },
    });
    fake.push("collab", { event: "error", data: { message: "other room", paneKey: "other:main" } });
    // A live room ignores errors that name no room: they are about something else.
    fake.push("collab", { event: "error", data: { message: "unknown channel" } });
    expect(errors).toEqual(["no connected peer to share with", "no connected peer to share with"]);
  });

  test("share, unshare and destroy send what the contract says", () => {
    const room = new FakeRoom(KEY);
    const { fake, collab } = tabIn(room);
    collab.share();
    collab.share("abcdefghijklmnop");
    collab.unshare("abcdefghijklmnop");
    collab.unshare();
    collab.destroy();
    collab.destroy();
    expect(fake.sent.map((f) => [f.event, f.data])).toEqual([
      ["join", { paneKey: KEY }],
      ["share", { paneKey: KEY }],
      ["share", { paneKey: KEY, nodeId: "abcdefghijklmnop" }],
      ["unshare", { paneKey: KEY, nodeId: "abcdefghijklmnop" }],
      ["unshare", { paneKey: KEY }],
      ["leave", { paneKey: KEY }],
    ]);
    // Unsubscribed: frames after destroy reach nothing.
    fake.push("collab", { event: "sharing", data: { paneKey: KEY, sharedWith: ["n"], access: "owner" } });
    expect(get(collab.sharedWith)).toEqual([]);
  });

  test("undo takes back this tab's edit and leaves the other tab's", () => {
    const room = new FakeRoom(KEY);
    const a = tabIn(room);
    const b = tabIn(room);
    room.deliverAll();
    a.collab.setText("mine ");
    room.deliverAll();
    b.collab.setText("mine theirs");
    room.deliverAll();
    a.collab.undo();
    room.deliverAll();
    expect(get(a.collab.text)).toBe("theirs");
    expect(get(b.collab.text)).toBe("theirs");
    a.collab.redo();
    room.deliverAll();
    expect(get(b.collab.text)).toBe("mine theirs");
  });

  test("remote-change hooks run around every applied update", () => {
    const room = new FakeRoom(KEY);
    const a = tabIn(room);
    const b = tabIn(room);
    room.deliverAll();
    const seen: string[] = [];
    b.collab.aroundRemoteChange(() => {
      seen.push(`before:${b.collab.ytext.toString()}`);
      return () => seen.push(`after:${b.collab.ytext.toString()}`);
    });
    a.collab.setText("x");
    room.deliverAll();
    expect(seen).toEqual(["before:", "after:x"]);
  });
});

describe("captureCaret", () => {
  function setup(initial: string) {
    const doc = new Y.Doc();
    const ytext = doc.getText("text");
    ytext.insert(0, initial);
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    const rtext = remote.getText("text");
    /** Edits "somewhere else" and applies the result here, as a remote update. */
    const fromElsewhere = (edit: (t: Y.Text) => void) => {
      const sv = Y.encodeStateVector(remote);
      edit(rtext);
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, sv));
    };
    return { source: { doc, ytext }, fromElsewhere };
  }

  test("text inserted before the caret moves it along", () => {
    const { source, fromElsewhere } = setup("hello world");
    const restore = captureCaret(source, 6, 6);
    fromElsewhere((t) => t.insert(0, ">> "));
    expect(restore()).toEqual({ start: 9, end: 9 });
  });

  test("text deleted before the caret moves it back", () => {
    const { source, fromElsewhere } = setup("hello world");
    const restore = captureCaret(source, 8, 8);
    fromElsewhere((t) => t.delete(0, 6));
    expect(restore()).toEqual({ start: 2, end: 2 });
  });

  test("text typed at exactly the caret lands after it", () => {
    const { source, fromElsewhere } = setup("ab");
    const restore = captureCaret(source, 1, 1);
    fromElsewhere((t) => t.insert(1, "XYZ"));
    expect(restore()).toEqual({ start: 1, end: 1 });
    expect(source.ytext.toString()).toBe("aXYZb");
  });

  test("a selection keeps its characters and text typed at its edges stays outside", () => {
    const { source, fromElsewhere } = setup("one two three");
    const restore = captureCaret(source, 4, 7);
    fromElsewhere((t) => {
      t.insert(7, "!");
      t.insert(4, "[");
      t.insert(0, "0 ");
    });
    const { start, end } = restore();
    expect(source.ytext.toString().slice(start, end)).toBe("two");
  });

  test("a selection deleted elsewhere collapses instead of inverting", () => {
    const { source, fromElsewhere } = setup("one two three");
    const restore = captureCaret(source, 4, 7);
    fromElsewhere((t) => t.delete(2, 8));
    const { start, end } = restore();
    expect(start).toBe(end);
    expect(start).toBe(2);
  });
});

describe("paneKeyFor", () => {
  test("a shared pane has one room, key defaulting to main", () => {
    expect(paneKeyFor({ room: "shared" }, "scratch", "tab1")).toBe("scratch:main");
    expect(paneKeyFor({ room: "shared", key: "notes" }, "scratch", "tab1")).toBe("scratch:notes");
  });

  test("an instance pane has a room per tab, with the id made safe", () => {
    expect(paneKeyFor({ room: "instance" }, "board", "3fa9c0d1e2b4")).toBe("board:3fa9c0d1e2b4");
    expect(paneKeyFor({ room: "instance" }, "board", "Tab_1.A b")).toBe("board:tab-1-a-b");
    expect(paneKeyFor({ room: "instance" }, "board", "")).toBe("board:-");
    const long = paneKeyFor({ room: "instance" }, "board", "x".repeat(200));
    expect(long).toBe(`board:${"x".repeat(64)}`);
  });

  test("every key it makes passes the protocol's pane key check", () => {
    for (const id of ["abc", "ÄÖÜ", "a:b:c", "  ", "x".repeat(99), "UPPER-lower-123"]) {
      expect(paneKeySchema.safeParse(paneKeyFor({ room: "instance" }, "board", id)).success).toBe(true);
    }
  });
});
