import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { NearbyResponse } from "../../protocol/lan.ts";
import type { RunningNode } from "../../server/node.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../helpers/peer-nodes.ts";

/**
 * LAN discovery over real mDNS (multicast on 224.0.0.251:5353) between nodes in this process, and
 * a standard tool that is not weft's (python-zeroconf) reading the announcement. Needs a network
 * interface with multicast and Debian's python3-zeroconf (`apt-get install -y python3-zeroconf`);
 * without them it fails and says so.
 */
const PYTHON = "/usr/bin/python3";
const pool = nodePool();
// Listening on every interface: a node bound to loopback does not announce itself.
const start = (name: string, dataDir?: string) =>
  pool.start({ name, host: "0.0.0.0", ...(dataDir ? { dataDir } : {}) });
const discoveryOn = (n: RunningNode) => n.settings.update({ "network.enableLanDiscovery": true });
const nearby = async (n: RunningNode) => (await api<NearbyResponse>(n, "GET", "/api/network/nearby")).body;

/** Polls an async check until it holds, or fails with `what`. */
async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

describe("LAN discovery over real mDNS", () => {
  test("this machine can run the suite: a multicast interface and python3-zeroconf", () => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal && i.family === "IPv4");
    if (lan.length === 0) throw new Error("no non-loopback IPv4 interface: mDNS between nodes needs one");
    const probe = Bun.spawnSync([PYTHON, "-c", "import zeroconf"]);
    if (!existsSync(PYTHON) || probe.exitCode !== 0) {
      throw new Error("python3-zeroconf is missing: apt-get install -y python3-zeroconf");
    }
  });

  test("two paired nodes on one network, with no lobby and no address they knew, link directly once discovery is on", async () => {
    let alice = await start("alice");
    let bob = await start("bob");
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    const [aliceId, bobId, dirs] = [alice.identity.nodeId, bob.identity.nodeId, [alice.dataDir, bob.dataDir]];
    await pool.stop(alice);
    await pool.stop(bob);
    alice = await start("alice", dirs[0]);
    bob = await start("bob", dirs[1]);
    await Bun.sleep(500);
    expect(peerRow(alice, bobId)?.status).toBe("offline");
    discoveryOn(alice);
    discoveryOn(bob);
    await eventually(
      () => peerRow(alice, bobId)?.status === "connected" && peerRow(bob, aliceId)?.status === "connected",
      "the LAN link",
      10_000,
    );
    expect(peerRow(alice, bobId)?.transport).toBe("direct");
    // The side whose dial linked stored the other's LAN address, once its key there was proved.
    const storedNew = (self: typeof alice, other: typeof alice, otherId: string) =>
      self.fabric.peers.paths
        .list(otherId)
        .some((p) => new RegExp(`^ws://[0-9.]+:${other.port}/peer-ws$`).test(p.address));
    await eventually(
      () => storedNew(alice, bob, bobId) || storedNew(bob, alice, aliceId),
      "the LAN address stored after the dial that proved it",
    );
  }, 20_000);

  test("an unknown node appears as nearby and disappears when it stops", async () => {
    const alice = await start("alice");
    const carol = await start("carol");
    discoveryOn(alice);
    discoveryOn(carol);
    const carolId = carol.identity.nodeId;
    await until(
      async () => (await nearby(alice)).nodes.some((n) => n.node_id === carolId),
      "carol as nearby",
    );
    const listed = (await nearby(alice)).nodes.find((n) => n.node_id === carolId);
    expect(listed).toMatchObject({
      node_name: "carol",
      address: expect.stringMatching(new RegExp(`:${carol.port}/peer-ws$`)),
    });
    expect(peerRow(alice, carolId)).toBeUndefined();
    await pool.stop(carol);
    // Her goodbye (TTL 0) takes her off at once; no sweep needs to notice.
    await until(
      async () => !(await nearby(alice)).nodes.some((n) => n.node_id === carolId),
      "carol to leave",
      3_000,
    );
  }, 20_000);

  test("python-zeroconf, a browser not written with weft, sees the node's name, id and port", async () => {
    const dave = await start("dave");
    discoveryOn(dave);
    const browse = Bun.spawn([PYTHON, join(import.meta.dir, "browse-weft.py"), "4"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err] = [await new Response(browse.stdout).text(), await new Response(browse.stderr).text()];
    await browse.exited;
    const seen = out
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { name: string; port: number; txt: Record<string, string> });
    const mine = seen.find((s) => s.txt.id === dave.identity.nodeId);
    if (!mine) throw new Error(`zeroconf did not see the node; it saw ${out || "nothing"} ${err}`);
    expect(mine.txt).toEqual({ id: dave.identity.nodeId, name: "dave", v: "1" });
    expect(mine.port).toBe(dave.port);
    expect(mine.name).toBe(`dave (${dave.identity.nodeId.slice(0, 8)})._weft._tcp.local.`);
  }, 20_000);
});
