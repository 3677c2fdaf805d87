import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../../server/db/database.ts";
import { COALESCE_WINDOW_MS, MAX_NOTICES, NoticeStore } from "../../../server/notices/notice-store.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const bob = { node_id: "bbbbbbbbbbbbbbbb", node_name: "bob" };

function open(file = join(tempDir(), "weft.db")) {
  const database = openDatabase(file);
  return { file, database, store: new NoticeStore(database.db) };
}

describe("the notice store", () => {
  test("notices, their actions and read state are still there after the database is reopened", () => {
    const first = open();
    const shared = first.store.add({
      kind: "share_received",
      peer: bob,
      text: "bob shared Scratch with you",
      action: { label: "Open", paneId: "scratch", params: { room: "r1" } },
    });
    const paired = first.store.add({ kind: "invite_used", peer: bob, text: "bob paired with you" });
    first.store.markRead([shared.id]);
    first.database.close();

    const again = open(first.file);
    expect(again.store.list()).toEqual([
      {
        id: paired.id,
        ts: paired.ts,
        kind: "invite_used",
        peer: bob,
        text: "bob paired with you",
        read: false,
      },
      {
        id: shared.id,
        ts: shared.ts,
        kind: "share_received",
        peer: bob,
        text: "bob shared Scratch with you",
        action: { label: "Open", paneId: "scratch", params: { room: "r1" } },
        read: true,
      },
    ]);
    expect(again.store.unread()).toBe(1);
    again.database.close();
  });

  test("lists the newest first and keeps only the newest 500", () => {
    const { store, database } = open();
    const start = 1_000_000;
    for (let i = 0; i < MAX_NOTICES + 5; i++)
      store.add({ kind: "share_revoked", peer: null, text: `notice ${i}` }, start + i);
    const all = store.list();
    expect(all).toHaveLength(MAX_NOTICES);
    expect(all[0]?.text).toBe(`notice ${MAX_NOTICES + 4}`);
    expect(all.at(-1)?.text).toBe("notice 5");
    expect(store.list(3).map((n) => n.text)).toEqual([
      `notice ${MAX_NOTICES + 4}`,
      `notice ${MAX_NOTICES + 3}`,
      `notice ${MAX_NOTICES + 2}`,
    ]);
    database.close();
  });

  test("repeats with one coalesce key within an hour become one unread notice with a count", () => {
    const { store, database } = open();
    const t0 = 5_000_000;
    const input = {
      kind: "blocked_attempt" as const,
      peer: bob,
      text: "A blocked node, bob, tried to connect",
      coalesceKey: `blocked:${bob.node_id}`,
    };
    const first = store.add(input, t0);
    store.markRead();
    store.add(input, t0 + 1000);
    const third = store.add(input, t0 + 2000);
    expect(third.id).toBe(first.id);
    expect(third.text).toBe("A blocked node, bob, tried to connect (3 times)");
    expect(third.read).toBe(false);
    expect(store.list()).toHaveLength(1);

    const other = store.add(
      { ...input, peer: { node_id: "c".repeat(16), node_name: "carol" }, coalesceKey: "blocked:c" },
      t0 + 3000,
    );
    expect(other.id).not.toBe(first.id);
    const later = store.add(input, t0 + 2000 + COALESCE_WINDOW_MS + 1);
    expect(later.id).not.toBe(first.id);
    expect(later.text).toBe("A blocked node, bob, tried to connect");
    expect(store.list()).toHaveLength(3);
    database.close();
  });

  test("marks chosen notices or all of them read, and dismisses one", () => {
    const { store, database } = open();
    const a = store.add({ kind: "invite_used", peer: bob, text: "a" });
    const b = store.add({ kind: "invite_used", peer: bob, text: "b" });
    const c = store.add({ kind: "invite_used", peer: bob, text: "c" });
    expect(store.markRead([a.id])).toBe(1);
    expect(store.markRead([a.id])).toBe(0);
    expect(store.unread()).toBe(2);
    expect(store.dismiss(b.id)).toBe(true);
    expect(store.dismiss(b.id)).toBe(false);
    expect(store.unread()).toBe(1);
    expect(store.markRead()).toBe(1);
    expect(store.unread()).toBe(0);
    expect(store.list().map((n) => n.id)).toEqual([c.id, a.id]);
    database.close();
  });
});
