import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../../server/db/database.ts";
import { auditLog, peers } from "../../../server/db/schema.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const tables = (file: string) => {
  const { sqlite, close } = openDatabase(file);
  const names = sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);
  close();
  return names;
};

describe("node database", () => {
  test("a new database gets the settings, peers, invites and audit log tables", () => {
    const names = tables(join(tempDir(), "weft.db"));
    for (const t of ["settings", "peers", "invites", "audit_log"]) expect(names).toContain(t);
  });

  test("it runs in WAL mode", () => {
    const { sqlite, close } = openDatabase(join(tempDir(), "weft.db"));
    expect(sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    close();
  });

  test("migrating again on every start is a no-op that keeps the data", () => {
    const file = join(tempDir(), "weft.db");
    const first = openDatabase(file);
    first.db
      .insert(peers)
      .values({ nodeId: "aaaaaaaaaaaaaaaa", publicKey: "k", via: "invite", createdAt: 1 })
      .run();
    const applied = first.sqlite.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as {
      n: number;
    };
    first.close();

    const second = openDatabase(file);
    expect(second.db.select().from(peers).all()).toHaveLength(1);
    expect(second.sqlite.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual(applied);
    second.close();
  });

  test("rows written before close are in the main file, not only the WAL", () => {
    const file = join(tempDir(), "weft.db");
    const a = openDatabase(file);
    a.db.insert(auditLog).values({ ts: 1, event: "pair", nodeId: "x" }).run();
    a.close();
    expect(Bun.file(`${file}-wal`).size).toBe(0);
    const b = openDatabase(file);
    expect(b.db.select().from(auditLog).all()).toHaveLength(1);
    b.close();
  });

  test("closing twice is harmless", () => {
    const db = openDatabase(join(tempDir(), "weft.db"));
    db.close();
    expect(() => db.close()).not.toThrow();
  });
});
