import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { type OpenDatabase, openDatabase } from "../../../server/db/database.ts";
import { MAX_PATHS_PER_PEER } from "../../../server/fabric/peer-path-store.ts";
import { PeerStore } from "../../../server/fabric/peer-store.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const BOB = "bbbbbbbbbbbbbbbb";
let opened: OpenDatabase | undefined;

function store(): { peers: PeerStore; file: string } {
  const file = join(tempDir(), "weft.db");
  opened = openDatabase(file);
  return { peers: new PeerStore(opened.db), file };
}

afterEach(() => {
  opened?.close();
  opened = undefined;
});

const direct = (address: string) => ({ transport: "direct", address });
const pairBob = (peers: PeerStore, address?: string) =>
  peers.trust({
    nodeId: BOB,
    publicKey: "key-b",
    nodeName: "bob",
    via: "invite",
    ...(address ? { path: direct(address) } : {}),
  });

describe("peer store", () => {
  test("a peer paired, re-paired without an address and renamed reads back as stored", () => {
    const { peers } = store();
    expect(peers.get(BOB)).toBeUndefined();
    pairBob(peers, "ws://10.0.0.2:7420/peer-ws");
    peers.trust({ nodeId: BOB, publicKey: "other-key", nodeName: "bobby", via: "dialed" });
    const rec = peers.get(BOB);
    // Re-pairing keeps the pinned key and the path that worked, and takes the new name.
    expect(rec).toMatchObject({
      publicKey: "key-b",
      nodeName: "bobby",
      via: "invite",
      trusted: true,
      blocked: false,
    });
    expect(peers.paths.list(BOB)).toEqual([direct("ws://10.0.0.2:7420/peer-ws")]);
    peers.touch(BOB, { lastSeen: 42 });
    expect(peers.get(BOB)).toMatchObject({ lastSeen: 42 });
    peers.touch(BOB, { nodeName: "robert" });
    expect(peers.get(BOB)).toMatchObject({ nodeName: "robert", lastSeen: 42, trusted: true });
    expect(peers.list().map((p) => p.nodeId)).toEqual([BOB]);
  });

  test("paths are tried as the peer last told them, the one that worked first and loopback last", () => {
    const { peers } = store();
    pairBob(peers, "ws://10.0.0.2:7420/peer-ws");
    peers.paths.learn(
      BOB,
      [
        direct("ws://localhost:7420/peer-ws"),
        direct("ws://10.0.0.3:7420/peer-ws"),
        { transport: "relay", address: "x" },
      ],
      "presence",
    );
    expect(peers.paths.list(BOB)).toEqual([
      direct("ws://10.0.0.2:7420/peer-ws"),
      direct("ws://10.0.0.3:7420/peer-ws"),
      { transport: "relay", address: "x" },
      direct("ws://localhost:7420/peer-ws"),
    ]);
    // A newer presence replaces what an older one said; the path that worked stays.
    peers.paths.learn(BOB, [direct("ws://10.0.0.9:7420/peer-ws")], "presence");
    expect(peers.paths.list(BOB)).toEqual([
      direct("ws://10.0.0.2:7420/peer-ws"),
      direct("ws://10.0.0.9:7420/peer-ws"),
    ]);
    peers.paths.worked(BOB, direct("ws://10.0.0.9:7420/peer-ws"));
    expect(peers.paths.list(BOB)[0]).toEqual(direct("ws://10.0.0.9:7420/peer-ws"));
  });

  test("a peer cannot grow its paths without bound, and forgetting it removes them", () => {
    const { peers } = store();
    pairBob(peers, "ws://10.0.0.2:7420/peer-ws");
    for (let round = 0; round < 20; round++) {
      const many = Array.from({ length: 16 }, (_, i) => direct(`ws://10.1.${round}.${i}:7420/peer-ws`));
      peers.paths.learn(BOB, many, "invite");
    }
    expect(peers.paths.list(BOB).length).toBeLessThanOrEqual(MAX_PATHS_PER_PEER);
    expect(peers.paths.list(BOB)[0]).toEqual(direct("ws://10.0.0.2:7420/peer-ws"));
    peers.forget(BOB);
    const { sqlite } = opened!;
    expect(sqlite.query("SELECT count(*) AS n FROM peer_paths").get()).toEqual({ n: 0 });
  });

  test("the migration to typed paths keeps every pairing and its address", () => {
    const dir = tempDir();
    const migrations = join(dir, "migrations");
    cpSync(join(import.meta.dir, "../../../server/db/migrations"), migrations, { recursive: true });
    const journalFile = join(migrations, "meta/_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
    const upTo = journal.entries.findIndex((e) => e.tag === "0007_peer_paths");
    expect(upTo).toBeGreaterThan(0);
    writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
    const file = join(dir, "weft.db");
    const old = new Database(file, { create: true, strict: true });
    migrate(drizzle(old), { migrationsFolder: migrations });
    const insert = old.prepare(
      "INSERT INTO peers (node_id, public_key, node_name, via, trusted, blocked, last_address, last_seen, created_at) VALUES (?, ?, ?, ?, 1, 0, ?, ?, 1)",
    );
    insert.run(BOB, "key-b", "bob", "invite", "ws://10.0.0.2:7420/peer-ws", 500);
    insert.run("cccccccccccccccc", "key-c", "carol", "dialed", null, null);
    old.close();

    opened = openDatabase(file);
    const peers = new PeerStore(opened.db);
    expect(peers.list().map((p) => [p.nodeId, p.publicKey, p.nodeName, p.via, p.trusted])).toEqual([
      [BOB, "key-b", "bob", "invite", true],
      ["cccccccccccccccc", "key-c", "carol", "dialed", true],
    ]);
    expect(peers.paths.list(BOB)).toEqual([direct("ws://10.0.0.2:7420/peer-ws")]);
    expect(peers.paths.list("cccccccccccccccc")).toEqual([]);
  });

  test("blocking, unblocking and forgetting a peer already read take effect on the next read", () => {
    const { peers } = store();
    pairBob(peers);
    expect(peers.get(BOB)?.blocked).toBe(false);
    expect(peers.setBlocked(BOB, true)).toBe(true);
    expect(peers.get(BOB)?.blocked).toBe(true);
    expect(peers.setBlocked(BOB, false)).toBe(true);
    expect(peers.get(BOB)?.blocked).toBe(false);
    expect(peers.forget(BOB)).toBe(true);
    expect(peers.get(BOB)).toBeUndefined();
  });

  test("changing a record it handed out changes nothing stored or read later", () => {
    const { peers, file } = store();
    pairBob(peers);
    const rec = peers.get(BOB)!;
    rec.blocked = true;
    rec.publicKey = "forged";
    expect(peers.get(BOB)).toMatchObject({ blocked: false, publicKey: "key-b" });
    // A second store over the same file sees what the first wrote, not what a caller scribbled.
    const second = openDatabase(file);
    expect(new PeerStore(second.db).get(BOB)).toMatchObject({ blocked: false, publicKey: "key-b" });
    second.close();
  });
});
