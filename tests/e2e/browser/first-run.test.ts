import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { binaryPool, callNode, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
/** A node as a person first starts it: a fresh data dir and no --name. */
let fresh: RunningBinary;
const pool = binaryPool();

async function identityOf(node: RunningBinary): Promise<{ node_id: string; node_name: string }> {
  return (await (await fetch(`${node.url}api/network/identity`)).json()) as {
    node_id: string;
    node_name: string;
  };
}

async function openFresh(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(fresh.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  return { page, errors };
}

beforeAll(async () => {
  const copy = lonelyBinary();
  fresh = await startBinary(
    copy.bin,
    ["--data-dir", "./data", "--port", "0", "--host", "127.0.0.1", "--no-open"],
    copy.dir,
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (fresh && fresh.proc.exitCode === null) await fresh.signal();
  await pool.stopAll();
});

describe("the first run of a brand-new node", () => {
  test("opens Get started, offering the host name, and saving a name ticks the step", async () => {
    const hostName = (await identityOf(fresh)).node_name;
    for (const colorScheme of ["dark", "light"] as const) {
      const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 1000 } });
      const { page, errors } = await openFresh(context);
      await page.getByTestId("pane-welcome").waitFor({ state: "visible" });
      const input = page.getByTestId("welcome-name-input");
      await input.waitFor({ state: "visible" });
      if (colorScheme === "dark") {
        expect(await input.getAttribute("placeholder")).toBe(hostName);
        expect(await page.getByTestId("welcome-name-status").textContent()).toContain(`“${hostName}”`);
        expect(await page.getByTestId("welcome-step-name").getAttribute("data-done")).toBe("false");
        expect(await page.getByTestId("welcome-progress").textContent()).toBe("Nothing done yet");
        expect(await page.getByTestId("pane-about").isVisible()).toBe(false);
        await page.screenshot({ path: join(ARTIFACTS, "first-run-dark.png") });
      } else {
        await page.screenshot({ path: join(ARTIFACTS, "first-run.png") });
        await input.fill("Ada Lovelace");
        await page.getByTestId("welcome-name-save").click();
        await page.waitForSelector('[data-testid="welcome-step-name"][data-done="true"]');
        expect(await page.getByTestId("welcome-name-status").textContent()).toContain(
          "Peers see you as “Ada Lovelace”.",
        );
        const values = await callNode<Record<string, unknown>>(fresh, "GET", "/api/settings");
        expect(values["network.nodeName"]).toBe("Ada Lovelace");
        expect((await identityOf(fresh)).node_name).toBe("Ada Lovelace");
      }
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  test("pasting someone's invite pairs with them, and sharing a note from Scratch ticks the last step", async () => {
    const bob = await pool.start("bob");
    const { invite } = await callNode<{ invite: string }>(bob, "POST", "/api/network/invite", {});
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const { page, errors } = await openFresh(context);
    await page.getByTestId("pane-welcome").waitFor({ state: "visible" });
    expect(await page.getByTestId("welcome-step-pair").getAttribute("data-done")).toBe("false");
    // The invite card is the Peers pane's: an invite ready to copy, with its expiry.
    await page.getByTestId("welcome-invite-mint").click();
    expect(await page.getByTestId("welcome-invite-text").inputValue()).toStartWith("weft1.");
    expect(await page.getByTestId("welcome-invite-expiry").textContent()).toMatch(/^expires in/);
    // A cut-off paste gets the same single message as in Peers, and nothing is dialed.
    await page.getByTestId("welcome-redeem-input").fill(invite.slice(0, -12));
    await page.getByTestId("welcome-redeem-submit").click();
    expect(await page.getByTestId("welcome-redeem-error").textContent()).toContain("This invite is damaged");
    await page.getByTestId("welcome-redeem-input").fill(invite);
    await page.getByTestId("welcome-redeem-submit").click();
    await page.waitForSelector('[data-testid="welcome-step-pair"][data-done="true"]', { timeout: 10_000 });
    expect(await page.getByTestId("welcome-redeem-done").textContent()).toContain("Paired with bob");
    expect(await page.getByTestId("welcome-paired").textContent()).toContain("Paired with bob.");
    expect(await page.getByTestId("welcome-step-share").getAttribute("data-done")).toBe("false");

    await page.getByTestId("welcome-open-scratch").click();
    await page.waitForSelector('[data-testid="scratch-status"][data-state="private"]', { timeout: 5000 });
    await page.getByTestId("scratch-editor").click();
    await page.keyboard.type("first shared note");
    await page.getByTestId("scratch-share-toggle").click();
    await page.waitForSelector('[data-testid="scratch-share-toggle"][aria-pressed="true"]', {
      timeout: 5000,
    });
    await page.getByTestId("tab-welcome").click();
    await page.waitForSelector('[data-testid="welcome-step-share"][data-done="true"]', { timeout: 5000 });
    // Named in the first test, paired and shared here.
    expect(await page.getByTestId("welcome-progress").textContent()).toBe(
      "All done: you are working together",
    );
    expect(errors).toEqual([]);
    await context.close();
  });

  test("a browser with a saved layout keeps it, and Get started stays in the palette", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const { page, errors } = await openFresh(context);
    await page.getByTestId("pane-welcome").waitFor({ state: "visible" });
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("settings");
    await page.keyboard.press("Enter");
    await page.getByTestId("pane-settings").waitFor({ state: "visible" });
    await page.getByTestId("tab-welcome").getByTestId("tab-close").click();
    await page.getByTestId("tab-about").getByTestId("tab-close").click();

    await page.reload();
    await page.getByTestId("pane-settings").waitFor({ state: "visible" });
    expect(await page.getByTestId("tab-welcome").count()).toBe(0);
    expect(await page.getByTestId("pane-welcome").count()).toBe(0);

    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("get started");
    await page.keyboard.press("Enter");
    await page.getByTestId("pane-welcome").waitFor({ state: "visible" });
    await page.waitForSelector('[data-testid="welcome-step-name"][data-done="true"]');
    expect(errors).toEqual([]);
    await context.close();
  });
});
