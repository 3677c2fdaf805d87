import { afterEach, describe, expect, test } from "bun:test";
import type { NearbyResponse } from "../../../protocol/lan.ts";
import { nodeFeatures } from "../../../server/features/node-features.ts";
import { lanFeature, lanFeatureWith } from "../../../server/lan/lan-feature.ts";
import type { RunningNode } from "../../../server/node.ts";
import { FakeLan } from "../../helpers/fake-lan.ts";
import { api, eventually, mintInvite, nodePool, pair, peerRow } from "../../helpers/peer-nodes.ts";
import { openTab, type TestTab } from "../../helpers/ws-client.ts";

const pool = nodePool();
const tabs: TestTab[] = [];
afterEach(() => {
  for (const t of tabs.splice(0)) t.close();
});

/** The LAN feature of each node started on a pretend network, to ask what it heard. */
const lanOf = new Map<RunningNode, ReturnType<typeof lanFeatureWith>>();
const heard = (n: RunningNode) => n.features.get(lanOf.get(n)!).heard();

/** Nodes on one pretend network; they listen on every interface, as a node on a LAN does. */
function onLan(lan: FakeLan, sweepMs?: number) {
  return async (name: string, more: Parameters<typeof pool.start>[0] = {}) => {
    const lanDef = lanFeatureWith({ mdns: lan.mdns, sweepMs });
    const features = nodeFeatures.map((f) => (f === lanFeature ? lanDef : f));
    const node = await pool.start({ name, host: "0.0.0.0", features, ...more });
    lanOf.set(node, lanDef);
    return node;
  };
}
const discoveryOn = (n: RunningNode) => n.settings.update({ "network.enableLanDiscovery": true });
const nearby = async (n: RunningNode) => (await api<NearbyResponse>(n, "GET", "/api/network/nearby")).body;
const nearbyIds = async (n: RunningNode) => (await nearby(n)).nodes.map((x) => x.node_id);

describe("LAN discovery", () => {
  test("an announcement of a paired peer's id from another node's address is dialed, refused on its key, and stores nothing", async () => {
    const lan = new FakeLan();
    const start = onLan(lan);
    const alice = await start("alice");
    const bob = await start("bob");
    const carol = await start("carol");
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    const bobId = bob.identity.nodeId;
    await eventually(() => peerRow(alice, bobId)?.status === "connected", "the pairing");
    await pool.stop(bob);
    await eventually(() => peerRow(alice, bobId)?.status !== "connected", "bob gone");
    const before = alice.fabric.peers.paths.list(bobId);
    discoveryOn(alice);
    // Someone announces bob's id, pointing at carol's listener.
    lan.shout({
      fqdn: "bob (fake)._weft._tcp.local",
      txt: { id: bobId, name: "bob", v: "1" },
      port: carol.port,
      from: "127.0.0.1",
    });
    await Bun.sleep(1_000);
    expect(peerRow(alice, bobId)?.status).not.toBe("connected");
    expect(alice.fabric.peers.paths.list(bobId)).toEqual(before);
    expect(alice.fabric.peers.paths.list(bobId).some((p) => p.address.includes(`:${carol.port}/`))).toBe(
      false,
    );
  });

  test("is off until a person turns it on, and announces nothing meanwhile", async () => {
    const lan = new FakeLan();
    const alice = await onLan(lan)("alice");
    expect(await nearby(alice)).toEqual({ enabled: false, problem: null, trust_mode: "manual", nodes: [] });
    expect(lan.advertised).toEqual([]);
    discoveryOn(alice);
    await eventually(() => lan.advertised.length === 1, "alice's announcement");
    const ad = lan.advertised[0]!;
    expect(ad.txt).toEqual({ id: alice.identity.nodeId, name: "alice", v: "1" });
    expect(ad.port).toBe(alice.port);
  });

  test("an unknown node on the network is listed as nearby, live in a tab, and leaves when it stops", async () => {
    const lan = new FakeLan();
    const start = onLan(lan);
    const alice = await start("alice");
    const bob = await start("bob");
    const tab = await openTab(alice.port);
    tabs.push(tab);
    discoveryOn(alice);
    discoveryOn(bob);
    const listed = await tab.next(
      (f) => f.event === "nearby" && (f.data as NearbyResponse).nodes.some((n) => n.node_name === "bob"),
    );
    expect((listed.data as NearbyResponse).nodes).toEqual([
      {
        node_id: bob.identity.nodeId,
        node_name: "bob",
        address: `ws://127.0.0.1:${bob.port}/peer-ws`,
        seen_at: expect.any(Number),
      },
    ]);
    expect(await nearbyIds(alice)).toEqual([bob.identity.nodeId]);
    // Nothing happened to trust: in manual mode a nearby node still needs an invite.
    expect(peerRow(alice, bob.identity.nodeId)).toBeUndefined();

    tab.frames.length = 0;
    await pool.stop(bob);
    await tab.next((f) => f.event === "nearby" && (f.data as NearbyResponse).nodes.length === 0);
    expect(await nearbyIds(alice)).toEqual([]);
  });

  test("a nearby node that pairs leaves the nearby list for the peers list", async () => {
    const lan = new FakeLan();
    const start = onLan(lan);
    const alice = await start("alice");
    const bob = await start("bob");
    discoveryOn(alice);
    discoveryOn(bob);
    await eventually(() => heard(alice).length === 1, "alice to hear bob");
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    await eventually(() => peerRow(alice, bob.identity.nodeId)?.status === "connected", "the pairing");
    expect(await nearbyIds(alice)).toEqual([]);
    expect(await nearbyIds(bob)).toEqual([]);
  });

  test("two paired nodes that both came back on new ports find each other on the LAN and link directly", async () => {
    const lan = new FakeLan();
    const start = onLan(lan);
    let alice = await start("alice");
    let bob = await start("bob");
    expect((await pair(bob, await mintInvite(alice))).body.ok).toBe(true);
    const [aliceId, bobId] = [alice.identity.nodeId, bob.identity.nodeId];
    const dirs = [alice.dataDir, bob.dataDir];
    await pool.stop(alice);
    await pool.stop(bob);
    // Every address either knew went with the old ports; only the LAN can tell them the new ones.
    alice = await start("alice", { dataDir: dirs[0] });
    bob = await start("bob", { dataDir: dirs[1] });
    await Bun.sleep(300);
    expect(peerRow(alice, bobId)?.status).toBe("offline");
    discoveryOn(alice);
    discoveryOn(bob);
    await eventually(() => peerRow(alice, bobId)?.status === "connected", "the LAN link", 8000);
    await eventually(() => peerRow(bob, aliceId)?.status === "connected", "bob's side of it");
    expect(peerRow(alice, bobId)?.transport).toBe("direct");
    const lanPath = (n: RunningNode) => ({
      transport: "direct",
      address: `ws://127.0.0.1:${n.port}/peer-ws`,
    });
    // The side whose dial linked stored the address the LAN gave, once the key there was proved.
    await eventually(
      () =>
        alice.fabric.peers.paths.list(bobId).some((p) => p.address === lanPath(bob).address) ||
        bob.fabric.peers.paths.list(aliceId).some((p) => p.address === lanPath(alice).address),
      "the LAN address stored after the dial that proved it",
    );
    expect(await nearbyIds(alice)).toEqual([]);
  });

  test("in open-lan mode two nodes on one network link with no invite", async () => {
    const lan = new FakeLan();
    const start = onLan(lan);
    const alice = await start("alice");
    const bob = await start("bob");
    for (const n of [alice, bob]) n.settings.update({ "network.trustMode": "open-lan" });
    discoveryOn(alice);
    discoveryOn(bob);
    await eventually(
      () => peerRow(alice, bob.identity.nodeId)?.status === "connected",
      "the open-lan link",
      5000,
    );
    expect(
      new Set([peerRow(alice, bob.identity.nodeId)?.via, peerRow(bob, alice.identity.nodeId)?.via]),
    ).toContain("open-lan");
  });

  test("turning it off says goodbye on the network and empties the list", async () => {
    const lan = new FakeLan();
    const start = onLan(lan);
    const alice = await start("alice");
    const bob = await start("bob");
    discoveryOn(alice);
    discoveryOn(bob);
    await eventually(() => heard(alice).length === 1, "alice to hear bob");
    alice.settings.update({ "network.enableLanDiscovery": false });
    await eventually(() => lan.advertised.length === 1, "alice's goodbye");
    expect(lan.advertised[0]?.txt).toMatchObject({ name: "bob" });
    expect(await nearby(alice)).toMatchObject({ enabled: false, nodes: [] });
    await eventually(() => heard(bob).length === 0, "bob to see alice go");
  });

  test("a node that vanishes without a goodbye leaves the list after two silent sweeps", async () => {
    const lan = new FakeLan();
    const alice = await onLan(lan, 100)("alice");
    discoveryOn(alice);
    const v = "1";
    lan.shout({
      fqdn: "ghost._weft._tcp.local",
      txt: { id: "cccccccccccccccc", name: "ghost", v },
      port: 9,
      from: "10.0.0.9",
    });
    await eventually(() => heard(alice).length === 1, "the ghost to be listed");
    expect(await nearbyIds(alice)).toEqual(["cccccccccccccccc"]);
    lan.vanish("ghost._weft._tcp.local");
    await eventually(() => heard(alice).length === 0, "the ghost to expire", 3000);
  });

  test("answers that are not a weft node's are ignored and the node carries on", async () => {
    const lan = new FakeLan();
    const alice = await onLan(lan)("alice");
    discoveryOn(alice);
    const junk: unknown[] = [null, 42, "id=x", { id: "x" }, { id: "cccccccccccccccc", name: {}, v: "1" }];
    for (const [i, txt] of junk.entries()) lan.shout({ fqdn: `j${i}`, txt, port: 7420, from: "10.0.0.9" });
    lan.shout({
      fqdn: "self",
      txt: { id: alice.identity.nodeId, name: "me", v: "1" },
      port: 1,
      from: "10.0.0.9",
    });
    expect(await nearby(alice)).toMatchObject({ enabled: true, nodes: [] });
    expect((await api(alice, "GET", "/api/health")).status).toBe(200);
  });
});
