import { afterEach, describe, expect, test } from "bun:test";
import { HANDSHAKE_TIMEOUT_MS } from "../../../../server/fabric/handshake.ts";
import {
  addressKey,
  PendingHandshakes,
  type PendingSlot,
} from "../../../../server/fabric/links/pending-handshakes.ts";
import type { RunningNode } from "../../../../server/node.ts";
import { eventually, nodePool } from "../../../helpers/peer-nodes.ts";
import { processFaults, RawPeer } from "../../../helpers/raw-peer.ts";
import { type SilentSocket, silentUpgrade } from "../../../helpers/silent-sockets.ts";

const pool = nodePool();
const faults = processFaults();
const opened: SilentSocket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.socket.destroy();
  expect(faults).toEqual([]);
});

async function silent(node: RunningNode, from = "127.0.0.1"): Promise<SilentSocket> {
  const s = await silentUpgrade(node.port, from);
  opened.push(s);
  return s;
}

async function limitedNode(total: number, perAddress: number): Promise<RunningNode> {
  const node = await pool.start();
  node.settings.update({
    "network.trustMode": "open-lan",
    "network.maxPendingHandshakes": total,
    "network.maxPendingHandshakesPerAddress": perAddress,
  });
  return node;
}

const slot = (r: PendingSlot | string): PendingSlot => {
  if (typeof r === "string") throw new Error(`refused: ${r}`);
  return r;
};

describe("the pending-handshake count", () => {
  test("an address gets no more places than its share, and a released place can be taken again", () => {
    const gate = new PendingHandshakes(() => ({ total: 10, perAddress: 2 }));
    const first = slot(gate.reserve("10.0.0.1"));
    slot(gate.reserve("10.0.0.1"));
    expect(gate.reserve("10.0.0.1")).toBe("too many handshakes in progress from your address");
    expect(typeof gate.reserve("10.0.0.2")).toBe("object");
    first.release();
    first.release();
    expect(gate.size).toBe(2);
    expect(typeof gate.reserve("10.0.0.1")).toBe("object");
  });

  test("when full, a newcomer takes the oldest place of the busiest address, never an equal's", () => {
    const gate = new PendingHandshakes(() => ({ total: 4, perAddress: 3 }));
    const evicted: string[] = [];
    const take = (address: string, name: string) =>
      slot(gate.reserve(address)).onEvict(() => evicted.push(name));
    take("10.0.0.1", "a1");
    take("10.0.0.1", "a2");
    take("10.0.0.1", "a3");
    take("10.0.0.2", "b1");
    take("10.0.0.3", "c1");
    expect(evicted).toEqual(["a1"]);
    expect(gate.size).toBe(4);
    take("10.0.0.4", "d1");
    expect(evicted).toEqual(["a1", "a2"]);
    // Every address now holds one place: a fifth source would only push out an equal.
    expect(gate.reserve("10.0.0.5")).toBe("this node has too many handshakes in progress; try again shortly");
    expect(gate.size).toBe(4);
  });

  test("a place taken away before its socket opened ends the socket as soon as it opens", () => {
    const gate = new PendingHandshakes(() => ({ total: 2, perAddress: 2 }));
    const early = slot(gate.reserve("10.0.0.1"));
    slot(gate.reserve("10.0.0.1"));
    slot(gate.reserve("10.0.0.2"));
    let ended = false;
    early.onEvict(() => {
      ended = true;
    });
    expect(ended).toBe(true);
  });

  test("a place held past any handshake's time is taken back when places run short", () => {
    let now = 0;
    const gate = new PendingHandshakes(() => ({ total: 2, perAddress: 1 }), {
      now: () => now,
      maxAgeMs: 1_000,
    });
    let lostEnded = false;
    slot(gate.reserve("10.0.0.1")).onEvict(() => {
      lostEnded = true;
    });
    now = 999;
    expect(gate.reserve("10.0.0.1")).toBe("too many handshakes in progress from your address");
    now = 1_000;
    expect(typeof gate.reserve("10.0.0.1")).toBe("object");
    expect(lostEnded).toBe(true);
    expect(gate.size).toBe(1);
  });

  test("IPv6 sources are counted by /64 and IPv4-mapped ones as plain IPv4", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
    expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
    expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("fe80::1%eth0")).toBe(addressKey("fe80::2"));
    expect(addressKey(undefined)).toBe("unknown");
  });
});

describe("pending /peer-ws handshakes on a live node", () => {
  test("past the per-address cap an upgrade is refused with 503 and a reason, and the connection closes", async () => {
    const node = await limitedNode(64, 3);
    for (let i = 0; i < 3; i++) expect((await silent(node)).status).toBe(101);
    const refused = await silent(node);
    expect(refused.status).toBe(503);
    expect(refused.reply).toContain("too many handshakes in progress from your address");
    await refused.closed;
    // Another address is not held back by this one.
    expect((await silent(node, "127.0.0.2")).status).toBe(101);
    expect((await fetch(`http://localhost:${node.port}/api/health`)).status).toBe(200);
  });

  test("a silent socket that closes gives its place back", async () => {
    const node = await limitedNode(64, 1);
    const first = await silent(node);
    expect(first.status).toBe(101);
    expect((await silent(node)).status).toBe(503);
    first.socket.destroy();
    await first.closed;
    // The node hears of the close a moment later; a refusal until then is fine, a lasting one not.
    let status = 0;
    for (let i = 0; i < 40 && status !== 101; i++) {
      if (i > 0) await Bun.sleep(50);
      status = (await silent(node)).status;
    }
    expect(status).toBe(101);
  });

  test("a finished handshake no longer counts as pending", async () => {
    const node = await limitedNode(64, 2);
    const peers: RawPeer[] = [];
    for (let i = 0; i < 4; i++) {
      const peer = await RawPeer.create(`honest ${i}`);
      await peer.connect(node.port);
      await peer.handshake();
      peers.push(peer);
    }
    await eventually(() => node.fabric.hub.sessions().length === 4, "four linked peers");
    for (const p of peers) p.close();
  });

  test("with the cap full of silent sockets from other addresses, an honest peer still links up", async () => {
    const node = await limitedNode(4, 2);
    const hogs: SilentSocket[] = [];
    for (const from of ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"])
      hogs.push(await silent(node, from));
    expect(hogs.map((h) => h.status)).toEqual([101, 101, 101, 101]);
    // A busy source gets nothing more.
    expect((await silent(node, "127.0.0.3")).status).toBe(503);
    const honest = await RawPeer.create("honest");
    await honest.connect(node.port);
    await honest.handshake();
    await eventually(() => node.fabric.hub.sessions().length === 1, "the honest peer's session");
    // Its place came from the oldest silent socket of the busiest source.
    await hogs[0]!.closed;
    expect(hogs.slice(1).map((h) => h.isClosed())).toEqual([false, false, false]);
    honest.close();
  });

  test(
    "a socket that never sends anything is closed when the handshake timeout passes",
    async () => {
      const node = await limitedNode(64, 1);
      const started = Date.now();
      const quiet = await silent(node);
      expect(quiet.status).toBe(101);
      await quiet.closed;
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 100);
      expect(waited).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3_000);
      // Its place is free again.
      expect((await silent(node)).status).toBe(101);
    },
    HANDSHAKE_TIMEOUT_MS + 10_000,
  );
});
