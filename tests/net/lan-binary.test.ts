import { afterAll, afterEach, describe, expect, test } from "bun:test";
import type { PairResult } from "../../protocol/network.ts";
import { callNode, weftBinary } from "../helpers/binary.ts";
import { waitFor } from "../helpers/browser.ts";
import { linkedOver, peerOf } from "../helpers/lobby-binary-nodes.ts";
import { type NetNode, stopNetNode } from "./net-nodes.ts";
import { chatBothWays, netRun } from "./net-run.ts";

/**
 * Two compiled nodes on one LAN (two host namespaces on a router's bridge), with no lobby anywhere:
 * once paired, they find each other again over mDNS after both moved to other ports, and link
 * directly on their LAN addresses.
 */

const run = netRun(weftBinary);
afterEach(() => run.cleanUp());
afterAll(() => run.cleanUp());

const discovery = { "network.enableLanDiscovery": true };

describe("compiled nodes on one LAN, no lobby", () => {
  test("two paired nodes that both moved to other ports find each other over mDNS and link directly", async () => {
    const topology = await run.bare([{ nat: "eim", hosts: 2 }]);
    const [deskHost, laptopHost] = [topology.hosts[0]!, topology.hosts[1]!];
    let desk = await run.node(deskHost, { name: "desk" });
    let laptop = await run.node(laptopHost, { name: "laptop" });
    // Paired once by an invite, which names the desk's LAN address and the port it had then.
    const { invite } = await callNode<{ invite: string }>(desk.run, "POST", "/api/network/invite", {});
    const paired = await callNode<PairResult>(laptop.run, "POST", "/api/network/pair", { invite });
    expect(paired.ok).toBe(true);
    await waitFor(() => linkedOver(desk, laptop, "direct"), "the first direct link", 10_000);

    // Both quit and start again, each on a new port: what each stored of the other leads nowhere.
    await stopNetNode(desk);
    await stopNetNode(laptop);
    const again = (was: NetNode, name: string) => run.node(was.host, { name, dataDir: was.dataDir });
    desk = await again(desk, "desk");
    laptop = await again(laptop, "laptop");
    await Bun.sleep(1500);
    // Each still tries what it stored (its row may say "connecting"), and reaches nothing.
    expect((await peerOf(desk, laptop))?.status).not.toBe("connected");
    expect((await peerOf(laptop, desk))?.status).not.toBe("connected");

    for (const n of [desk, laptop]) await callNode(n.run, "PUT", "/api/settings", discovery);
    await waitFor(() => linkedOver(desk, laptop, "direct"), "the LAN link found over mDNS", 15_000);
    // Whoever dialed reached the other at its new port on its LAN address, which only mDNS told.
    const rows = [(await peerOf(desk, laptop))!, (await peerOf(laptop, desk))!];
    const fresh = [
      `ws://${laptopHost.ip}:${laptop.run.port}/peer-ws`,
      `ws://${deskHost.ip}:${desk.run.port}/peer-ws`,
    ];
    expect(rows.some((row, i) => row.address === fresh[i])).toBe(true);
    await chatBothWays(run, desk, laptop, "on the LAN");
  }, 20_000);
});
