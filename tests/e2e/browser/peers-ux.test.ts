import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { binaryPool, callNode, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
const { start, stopAll } = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;
let bobId: string;
let page: Page;
let errors: string[];

type Peers = { peers: Array<{ node_id: string; status: string; blocked: boolean }> };

async function nodeId(node: RunningBinary): Promise<string> {
  return (await callNode<{ node_id: string }>(node, "GET", "/api/network/identity")).node_id;
}

async function statusOn(node: RunningBinary, id: string): Promise<string | undefined> {
  return (await callNode<Peers>(node, "GET", "/api/network/peers")).peers.find((p) => p.node_id === id)
    ?.status;
}

/** An invite of `issuer`'s with its expiry moved, as a sender's clock or a long wait would leave it. */
function withExpiry(invite: string, expires: number): string {
  const payload = JSON.parse(Buffer.from(invite.slice("weft1.".length), "base64url").toString());
  return `weft1.${Buffer.from(JSON.stringify({ ...payload, e: expires })).toString("base64url")}`;
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([start("alice"), start("bob")]);
  bobId = await nodeId(bob);
  const { invite } = await callNode<{ invite: string }>(alice, "POST", "/api/network/invite", {});
  expect((await callNode<{ ok: boolean }>(bob, "POST", "/api/network/pair", { invite })).ok).toBe(true);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 } })).newPage();
  errors = watchErrors(page);
  await page.goto(alice.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("peers");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`[data-testid="peer-row-${bobId}"][data-status="connected"]`, {
    timeout: 10_000,
  });
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe("fewer surprises in the Peers pane", () => {
  test("a peer's badges say in plain words who invited whom and how the link travels", async () => {
    expect(await page.getByTestId(`peer-via-${bobId}`).textContent()).toBe("You invited them");
    expect(await page.getByTestId(`peer-transport-${bobId}`).textContent()).toBe("Direct");
    expect(await page.getByTestId(`peer-blocked-${bobId}`).count()).toBe(0);
  });

  test("a garbled invite gets one clear message and nothing is dialed", async () => {
    const input = page.getByTestId("redeem-input");
    for (const garbled of ["weft1.this-is-not-an-invite!", "weft1.eyJuIjoiYWJj"]) {
      await input.fill(garbled);
      await page.getByTestId("redeem-submit").click();
      const message = page.getByTestId("redeem-input-error");
      await message.waitFor({ state: "visible" });
      expect(await message.count()).toBe(1);
      expect(await message.textContent()).toContain("This invite is damaged");
      expect(await page.getByTestId("pair-stage").count()).toBe(0);
      expect(await page.getByTestId("pair-error").count()).toBe(0);
    }
    await input.fill("");
  });

  test("an expired invite cannot be submitted, and the button says why beside it", async () => {
    const { invite } = await callNode<{ invite: string }>(bob, "POST", "/api/network/invite", {});
    await page.getByTestId("redeem-input").fill(withExpiry(invite, Date.now() - 60_000));
    expect(await page.getByTestId("redeem-submit").isDisabled()).toBe(true);
    expect(await page.getByTestId("redeem-blocked").textContent()).toBe(
      "This invite has expired. Ask its sender for a new one.",
    );
    expect(await page.getByTestId("redeem-preview").textContent()).toContain("expired");
    expect(await page.getByTestId("pair-stage").count()).toBe(0);

    // The same sender's live invite names them, since this node has met them.
    await page.getByTestId("redeem-input").fill(invite);
    expect(await page.getByTestId("redeem-submit").isEnabled()).toBe(true);
    expect(await page.getByTestId("redeem-preview").textContent()).toContain(
      "From bob, already one of your peers",
    );
    await page.getByTestId("redeem-input").fill("");
  });

  test("an invite from someone new names them, with the node id pairing will pin", async () => {
    const carol = await start("carol");
    const carolId = await nodeId(carol);
    const { invite } = await callNode<{ invite: string }>(carol, "POST", "/api/network/invite", {});
    await page.getByTestId("redeem-input").fill(invite);
    expect(await page.getByTestId("redeem-preview").textContent()).toContain(
      `From carol (node ID ${carolId.slice(0, 8)}…), new to you`,
    );
    await page.getByTestId("redeem-input").fill("");
  });

  test("Escape backs out of Forget, and the peer stays", async () => {
    await page.getByTestId(`peer-forget-${bobId}`).click();
    const ask = page.getByTestId(`peer-forget-ask-${bobId}`);
    await ask.waitFor({ state: "visible" });
    expect(await ask.textContent()).toContain("Forget bob?");
    await page.keyboard.press("Escape");
    await ask.waitFor({ state: "detached" });
    expect(await page.getByTestId(`peer-forget-${bobId}`).isVisible()).toBe(true);
    expect(await statusOn(alice, bobId)).toBe("connected");
  });

  test("Block asks first; once confirmed the peer is blocked and Unblock links it up again", async () => {
    await page.getByTestId(`peer-block-${bobId}`).click();
    const ask = page.getByTestId(`peer-block-ask-${bobId}`);
    await ask.waitFor({ state: "visible" });
    // Asking changes nothing yet.
    expect(await statusOn(alice, bobId)).toBe("connected");
    await page.getByTestId(`peer-confirm-cancel-${bobId}`).click();
    await ask.waitFor({ state: "detached" });
    expect(await statusOn(alice, bobId)).toBe("connected");

    await page.getByTestId(`peer-block-${bobId}`).click();
    await page.getByTestId(`peer-block-confirm-${bobId}`).click();
    await page.waitForSelector(`[data-testid="peer-row-${bobId}"][data-status="offline"]`, {
      timeout: 10_000,
    });
    expect(await page.getByTestId(`peer-blocked-${bobId}`).textContent()).toBe("Blocked");
    await page.screenshot({ path: join(ARTIFACTS, "peers-blocked.png") });
    // Past the redial delays that find the peer blocked and give up.
    await Bun.sleep(1500);
    expect(await statusOn(bob, await nodeId(alice))).toBe("offline");

    await page.getByTestId(`peer-unblock-${bobId}`).click();
    await page.waitForSelector(`[data-testid="peer-row-${bobId}"][data-status="connected"]`, {
      timeout: 10_000,
    });
    expect(await page.getByTestId(`peer-blocked-${bobId}`).count()).toBe(0);
    expect(await statusOn(bob, await nodeId(alice))).toBe("connected");
    expect(errors).toEqual([]);
  });
});
