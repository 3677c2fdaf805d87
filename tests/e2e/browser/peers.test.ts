import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { binaryPool, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
const { start, stopAll } = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;
/** Alice's invite, once bob has redeemed it. */
let usedInvite: string | undefined;

async function nodeId(node: RunningBinary): Promise<string> {
  const identity = (await (await fetch(`${node.url}api/network/identity`)).json()) as { node_id: string };
  return identity.node_id;
}

/** A page on `node` with the Peers pane open, picked from the palette as a user would. */
async function openPeers(node: RunningBinary): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("peers");
  await page.keyboard.press("Enter");
  await page.getByTestId("pane-peers").waitFor({ state: "visible" });
  await page.getByTestId("peers-self-node-id").waitFor({ state: "visible" });
  return { page, errors };
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([start("alice"), start("bob")]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe("the Peers pane in a real browser", () => {
  test("alice invites, bob pastes the invite, and both see each other connected", async () => {
    const [aliceId, bobId] = await Promise.all([nodeId(alice), nodeId(bob)]);
    const a = await openPeers(alice);
    const b = await openPeers(bob);
    expect(await a.page.getByTestId("peers-self-node-id").textContent()).toBe(aliceId);
    expect(await a.page.getByTestId("peers-empty").isVisible()).toBe(true);

    await a.page.getByTestId("invite-mint").click();
    const invite = (await a.page.getByTestId("invite-text").inputValue()).trim();
    expect(invite.startsWith("weft1.")).toBe(true);
    expect(await a.page.getByTestId("invite-expiry").textContent()).toMatch(/^expires in 23 h 5\d min$/);

    await b.page.getByTestId("redeem-input").fill(`  ${invite}\n`);
    await b.page.getByTestId("redeem-submit").click();
    await b.page.waitForSelector('[data-testid="pair-stage"][data-stage="connected"]', { timeout: 10_000 });
    usedInvite = invite;

    await b.page.waitForSelector(`[data-testid="peer-row-${aliceId}"][data-status="connected"]`, {
      timeout: 10_000,
    });
    await a.page.waitForSelector(`[data-testid="peer-row-${bobId}"][data-status="connected"]`, {
      timeout: 10_000,
    });
    expect(await a.page.getByTestId(`peer-row-${bobId}`).textContent()).toContain("bob");
    expect(await b.page.getByTestId(`peer-row-${aliceId}`).textContent()).toContain("alice");
    expect(await b.page.getByTestId("pair-error").count()).toBe(0);

    await a.page.screenshot({ path: join(ARTIFACTS, "peers-paired.png") });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await a.page.close();
    await b.page.close();
  });

  test("a third node redeeming the same invite is told it was already used", async () => {
    expect(usedInvite).toBeDefined();
    const carol = await start("carol");
    const c = await openPeers(carol);

    // Caught before anything is sent.
    await c.page.getByTestId("redeem-input").fill("not an invite");
    await c.page.getByTestId("redeem-submit").click();
    await c.page.getByTestId("redeem-input-error").waitFor({ state: "visible" });
    expect(await c.page.getByTestId("pair-stage").count()).toBe(0);

    await c.page.getByTestId("redeem-input").fill(usedInvite ?? "");
    await c.page.getByTestId("redeem-submit").click();
    const error = c.page.getByTestId("pair-error");
    await error.waitFor({ state: "visible", timeout: 10_000 });
    expect(await error.textContent()).toContain("already used");
    await c.page.waitForSelector('[data-testid="pair-stage"][data-stage="failed"]');
    expect(await c.page.getByTestId("redeem-submit").isEnabled()).toBe(true);
    expect(await c.page.getByTestId("peers-empty").isVisible()).toBe(true);

    await c.page.screenshot({ path: join(ARTIFACTS, "peers-invite-used.png") });
    expect(c.errors).toEqual([]);
    await c.page.close();
  });
});
