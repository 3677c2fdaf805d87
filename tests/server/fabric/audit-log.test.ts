import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import type { AuditEntry } from "../../../protocol/network.ts";
import { openDatabase } from "../../../server/db/database.ts";
import { AUDIT_FOLD_WINDOW_MS, AuditLog, type AuditLogOptions } from "../../../server/fabric/audit-log.ts";
import type { RunningNode } from "../../../server/node.ts";
import { api, nodePool } from "../../helpers/peer-nodes.ts";
import { processFaults, RawPeer } from "../../helpers/raw-peer.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

const pool = nodePool();
const faults = processFaults();
afterEach(() => expect(faults).toEqual([]));

async function listing(node: RunningNode, query = ""): Promise<AuditEntry[]> {
  const res = await api<{ entries: AuditEntry[] }>(node, "GET", `/api/network/audit${query}`);
  expect(res.status).toBe(200);
  return res.body.entries;
}

/** One dial without an invite, signed and honest in every other way, as the same node each time. */
async function anonymousDial(node: RunningNode, as: RawPeer): Promise<void> {
  const peer = await RawPeer.create(as.name, as.identity);
  await peer.connect(node.port);
  peer.sendHello();
  await peer.readHelloAck();
  peer.sendAuth();
  expect(await peer.readAuthResult()).toEqual({ ok: false, reason: "pairing required" });
  await peer.closed();
}

/** An audit log on a fresh real database, with a clock the test moves. */
function logWithClock(options: AuditLogOptions = {}) {
  const { db, close } = openDatabase(join(tempDir(), "weft.db"));
  const clock = { now: 1_000_000 };
  const log = new AuditLog(db, { now: () => clock.now, ...options });
  return { log, clock, close };
}

describe("the audit log under a flood of refused dials", () => {
  test("a thousand signed anonymous dials from one peer leave a handful of counted rows, and the pairing before them stays in view", async () => {
    const node = await pool.start();
    const friend = await RawPeer.create("friend");
    await friend.connect(node.port);
    await friend.handshake({ token: node.fabric.invites.mint().token });
    const hostile = await RawPeer.create("hostile");
    for (let round = 0; round < 125; round++) {
      await Promise.all(Array.from({ length: 8 }, () => anonymousDial(node, hostile)));
    }

    const everything = await listing(node, "?limit=1000");
    expect(everything.length).toBeLessThanOrEqual(5);
    const refusals = everything.filter((e) => e.event === "refuse");
    expect(refusals.every((e) => e.node_id === hostile.identity.nodeId && e.kind === "refusal")).toBe(true);
    expect(refusals.reduce((sum, e) => sum + e.count, 0)).toBe(1000);
    expect(refusals[0]?.detail).toMatchObject({ reason: "pairing required" });
    expect(refusals[0]?.last_ts).toBeGreaterThan(refusals[0]?.ts ?? Number.POSITIVE_INFINITY);

    const pairing = { event: "pair", kind: "trust", node_id: friend.identity.nodeId, count: 1 };
    expect(await listing(node, "?kind=trust")).toEqual([expect.objectContaining(pairing)]);
    expect(await listing(node)).toContainEqual(expect.objectContaining(pairing));
    expect((await listing(node, "?kind=refusal")).map((e) => e.event)).toEqual(refusals.map((e) => e.event));
    friend.close();
  }, 60_000);

  test("a kind other than trust, refusal or all is refused with a 400 naming the field", async () => {
    const node = await pool.start();
    const res = await api<{ error: string; field: string }>(
      node,
      "GET",
      "/api/network/audit?kind=everything",
    );
    expect(res.status).toBe(400);
    expect(res.body.field).toBe("kind");
  });
});

describe("folding repeated refusals", () => {
  test("the same refusal from the same node and address within ten minutes is counted on one row", () => {
    const { log, clock, close } = logWithClock();
    const refusal = { reason: "pairing required", address: "203.0.113.9" };
    log.record("refuse", "node-a", refusal);
    clock.now += 60_000;
    log.record("refuse", "node-a", { ...refusal, name: "renamed" });
    expect(log.recent()).toEqual([
      expect.objectContaining({
        count: 2,
        ts: 1_000_000,
        last_ts: 1_060_000,
        detail: { ...refusal, name: "renamed" },
      }),
    ]);
    clock.now = 1_000_000 + AUDIT_FOLD_WINDOW_MS + 1;
    log.record("refuse", "node-a", refusal);
    expect(log.recent().map((e) => e.count)).toEqual([1, 2]);
    close();
  });

  test("another address, node or reason starts its own row", () => {
    const { log, close } = logWithClock();
    log.record("refuse", "node-a", { reason: "pairing required", address: "203.0.113.9" });
    log.record("refuse", "node-a", { reason: "pairing required", address: "198.51.100.4" });
    log.record("refuse", "node-b", { reason: "pairing required", address: "203.0.113.9" });
    log.record("refuse", "node-a", { reason: "unknown invite", address: "203.0.113.9" });
    expect(log.recent().map((e) => e.count)).toEqual([1, 1, 1, 1]);
    close();
  });

  test("the user's own trust changes are never folded, so block, unblock, block reads in order", () => {
    const { log, clock, close } = logWithClock();
    for (const event of ["block", "unblock", "block"] as const) {
      clock.now += 1000;
      log.record(event, "node-a");
    }
    expect(log.recent().map((e) => [e.event, e.count])).toEqual([
      ["block", 1],
      ["unblock", 1],
      ["block", 1],
    ]);
    close();
  });
});

describe("the retention bound", () => {
  test("the table never holds more than the bound, and the oldest refusals go before any trust change", () => {
    const { log, clock, close } = logWithClock({ maxRows: 50 });
    log.record("pair", "friend", { via: "invite" });
    log.record("key_mismatch", "friend", { address: "203.0.113.9" });
    for (let i = 0; i < 500; i++) {
      clock.now += 1;
      log.record("refuse", `stranger-${i}`, { reason: "pairing required", address: "203.0.113.9" });
    }
    const all = log.recent(1000);
    expect(all).toHaveLength(50);
    expect(log.recent(1000, "trust").map((e) => e.event)).toEqual(["key_mismatch", "pair"]);
    const strangers = log.recent(1000, "refusal").map((e) => e.node_id);
    expect(strangers).toHaveLength(48);
    expect(strangers[0]).toBe("stranger-499");
    expect(strangers.at(-1)).toBe("stranger-452");
    close();
  });

  test("once only trust changes are left, the oldest of them give way", () => {
    const { log, clock, close } = logWithClock({ maxRows: 20 });
    log.record("refuse", "stranger", { reason: "pairing required" });
    for (let i = 0; i < 30; i++) {
      clock.now += 1;
      log.record("pair", `peer-${i}`, { via: "open-lan" });
    }
    const kept = log.recent(1000);
    expect(kept).toHaveLength(20);
    expect(kept.every((e) => e.event === "pair")).toBe(true);
    expect(kept.at(-1)?.node_id).toBe("peer-10");
    close();
  });

  test("a database over the bound is trimmed when the node opens it", () => {
    const file = join(tempDir(), "weft.db");
    const first = openDatabase(file);
    const big = new AuditLog(first.db);
    for (let i = 0; i < 30; i++) big.record("refuse", `stranger-${i}`, { reason: "pairing required" });
    first.close();
    const again = openDatabase(file);
    expect(new AuditLog(again.db, { maxRows: 10 }).recent(1000)).toHaveLength(10);
    again.close();
  });
});

describe("the default listing", () => {
  test("refusals from many nodes fill at most half the page while trust changes are there to show", () => {
    const { log, clock, close } = logWithClock();
    log.record("pair", "friend", { via: "invite" });
    log.record("block", "foe");
    for (let i = 0; i < 200; i++) {
      clock.now += 1;
      log.record("refuse", `stranger-${i}`, { reason: "pairing required" });
    }
    const page = log.recent(10);
    expect(page).toHaveLength(10);
    expect(page.filter((e) => e.kind === "trust").map((e) => e.event)).toEqual(["block", "pair"]);
    // Newest first throughout: the refusals, which came later, lead.
    expect(page[0]?.node_id).toBe("stranger-199");
    expect(page.at(-1)?.event).toBe("pair");
    close();
  });

  test("with no trust changes to show, refusals fill the whole page", () => {
    const { log, clock, close } = logWithClock();
    for (let i = 0; i < 20; i++) {
      clock.now += 1;
      log.record("refuse", `stranger-${i}`, { reason: "pairing required" });
    }
    expect(log.recent(10)).toHaveLength(10);
    close();
  });
});

describe("the migration that adds folding", () => {
  test("rows written before it read as single events that end where they began", () => {
    const dir = tempDir();
    const migrations = join(dir, "migrations");
    cpSync(join(import.meta.dir, "../../../server/db/migrations"), migrations, { recursive: true });
    const journalFile = join(migrations, "meta/_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
    const upTo = journal.entries.findIndex((e) => e.tag === "0006_audit_folding");
    expect(upTo).toBeGreaterThan(0);
    writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
    const file = join(dir, "weft.db");
    const old = new Database(file, { create: true, strict: true });
    migrate(drizzle(old), { migrationsFolder: migrations });
    old.run("INSERT INTO audit_log (ts, event, node_id, detail_json) VALUES (1234, 'pair', 'friend', '{}')");
    old.close();

    const { db, close } = openDatabase(file);
    expect(new AuditLog(db).recent()).toEqual([
      {
        id: 1,
        ts: 1234,
        last_ts: 1234,
        count: 1,
        kind: "trust",
        event: "pair",
        node_id: "friend",
        detail: {},
      },
    ]);
    close();
  });
});
