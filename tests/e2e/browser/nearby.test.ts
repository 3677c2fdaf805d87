import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { callNode, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, openPaneFromPalette } from "../../helpers/browser.ts";

/**
 * The Peers pane's Nearby section in a real browser, over real mDNS between compiled nodes on this
 * machine's network: a person turns LAN discovery on, sees a colleague's node appear, is told that
 * being on the same network is not enough to trust it, pairs with one click where the trust mode
 * allows it, and sees a node that leaves disappear. Needs a non-loopback interface with multicast,
 * as the LAN discovery suite does.
 */
let browser: Browser;
const nodes: RunningBinary[] = [];

/** A compiled node alone in its folder, listening on every interface so it can announce itself. */
async function start(name: string): Promise<RunningBinary & { id: string }> {
  const copy = lonelyBinary();
  const run = await startBinary(
    copy.bin,
    ["--data-dir", "./data", "--port", "0", "--host", "0.0.0.0", "--no-open", "--name", name],
    copy.dir,
  );
  nodes.push(run);
  const { node_id } = await callNode<{ node_id: string }>(run, "GET", "/api/network/identity");
  return Object.assign(run, { id: node_id });
}

const settings = (node: RunningBinary, values: Record<string, unknown>) =>
  callNode(node, "PUT", "/api/settings", values);

const openPeers = (node: RunningBinary) =>
  openPaneFromPalette(browser, node.url, "peers", { width: 1280, height: 1200 });

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(nodes.filter((n) => n.proc.exitCode === null).map((n) => n.signal()));
});

describe("the Peers pane's Nearby section", () => {
  test("turned on from the pane, it lists a node on this network; Pair explains that an invite is needed; a node that leaves disappears", async () => {
    const alice = await start("alice");
    const bob = await start("bob");
    const a = await openPeers(alice);
    const off = a.page.getByTestId("nearby-off");
    await off.waitFor({ state: "visible" });
    expect(await off.textContent()).toContain("leave it off on public Wi-Fi");
    await a.page.getByTestId("nearby-turn-on").click();
    await a.page.getByTestId("nearby-empty").waitFor({ state: "visible", timeout: 5000 });
    const stored = await callNode<Record<string, unknown>>(alice, "GET", "/api/settings");
    expect(stored["network.enableLanDiscovery"]).toBe(true);

    await settings(bob, { "network.enableLanDiscovery": true });
    const row = a.page.getByTestId(`nearby-row-${bob.id}`);
    await row.waitFor({ state: "visible", timeout: 10_000 });
    expect(await row.textContent()).toContain("bob");
    expect(await row.textContent()).toContain("on this network");

    // manual trust: hearing a node on the network proves nothing, so Pair leads to an invite.
    await a.page.getByTestId(`nearby-pair-${bob.id}`).click();
    const help = a.page.getByTestId(`nearby-help-${bob.id}`);
    await help.waitFor({ state: "visible" });
    expect(await help.textContent()).toContain("make an invite");
    await help.getByRole("button", { name: "Go to Invite someone" }).click();
    await a.page.getByTestId("invite-mint").waitFor({ state: "visible" });
    expect(await a.page.getByTestId("peers-empty").isVisible()).toBe(true);
    await a.page.screenshot({ path: join(ARTIFACTS, "peers-nearby.png") });

    await bob.signal();
    await row.waitFor({ state: "detached", timeout: 10_000 });
    await a.page.getByTestId("nearby-empty").waitFor({ state: "visible" });
    expect(a.errors).toEqual([]);
    await a.page.close();
  });

  test("in open-lan two nodes on one network link by themselves, directly, and neither is left under Nearby", async () => {
    const carol = await start("carol");
    const dave = await start("dave");
    const c = await openPeers(carol);
    for (const n of [carol, dave]) {
      await settings(n, { "network.enableLanDiscovery": true, "network.trustMode": "open-lan" });
    }
    const peer = c.page.locator(`[data-testid="peer-row-${dave.id}"][data-status="connected"]`);
    await peer.waitFor({ state: "visible", timeout: 10_000 });
    expect(await c.page.getByTestId(`peer-transport-${dave.id}`).textContent()).toBe("Direct");
    expect(await c.page.getByTestId(`peer-row-${dave.id}`).textContent()).toContain("dave");
    expect(await c.page.getByTestId(`nearby-row-${dave.id}`).count()).toBe(0);
    await c.page.screenshot({ path: join(ARTIFACTS, "peers-open-lan.png") });
    expect(c.errors).toEqual([]);
    await c.page.close();
  });
});
