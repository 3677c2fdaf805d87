import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { binaryPool, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
const pool = binaryPool();
let node: RunningBinary;

/** The body's background as the browser paints it: the surest sign of which theme is on. */
const LIGHT_BG = "rgb(246, 246, 247)";
const DARK_BG = "rgb(17, 17, 19)";

async function background(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

async function waitForBackground(page: Page, expected: string): Promise<void> {
  await page.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor === bg, expected, {
    timeout: 5000,
  });
}

/** A page with the Settings pane open, picked from the palette as a user would. */
async function openSettings(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("settings");
  await page.keyboard.press("Enter");
  await page.getByTestId("pane-settings").waitFor({ state: "visible" });
  await page.getByTestId("setting-appearance.theme").waitFor({ state: "visible" });
  return { page, errors };
}

async function themeSetting(): Promise<unknown> {
  const values = (await (await fetch(`${node.url}api/settings`)).json()) as Record<string, unknown>;
  return values["appearance.theme"];
}

beforeAll(async () => {
  node = await pool.start("settings-test");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await pool.stopAll();
});

describe("the Settings pane in a real browser", () => {
  test("settings sit in sections with words for people, and Advanced stays folded until opened", async () => {
    const context = await browser.newContext({
      colorScheme: "light",
      viewport: { width: 1280, height: 1300 },
    });
    const { page, errors } = await openSettings(context);
    const pane = page.getByTestId("pane-settings");

    const headings = await pane.locator("h2.section-title").allTextContents();
    expect(headings.map((h) => h.trim())).toEqual([
      "Profile",
      "Appearance",
      "Network",
      "Chat",
      "Agent",
      "Plugins",
      "Advanced",
    ]);
    expect(await page.locator('label[for="setting-network.nodeName"]').textContent()).toBe("Your name");
    expect(await page.getByTestId("setting-key-network.nodeName").textContent()).toBe("network.nodeName");
    const trust = page.getByTestId("setting-network.trustMode");
    expect(await trust.locator("option:checked").textContent()).toBe("Only people I send an invite to");

    // The limits are there but out of the way: closed, their fields not on screen.
    const advanced = page.getByTestId("settings-group-advanced");
    expect(await advanced.getAttribute("open")).toBeNull();
    expect(await page.getByTestId("setting-network.maxJsonDepth").isVisible()).toBe(false);
    expect(await page.getByTestId("setting-network.rateLimitPerSec").isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, "settings.png"), fullPage: true });

    await page.getByTestId("settings-group-advanced-toggle").click();
    await page.getByTestId("setting-network.maxJsonDepth").waitFor({ state: "visible" });
    expect(await advanced.getAttribute("open")).not.toBeNull();
    expect(await page.locator('label[for="setting-network.maxFrameBytes"]').textContent()).toBe(
      "Largest message from a peer",
    );

    // Still closed in a fresh page: folding is the default, not a leftover.
    await page.reload();
    await page.getByTestId("setting-appearance.theme").waitFor({ state: "visible" });
    expect(await page.getByTestId("settings-group-advanced").getAttribute("open")).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  test("choosing Light applies at once in every tab, survives a reload, and System follows the OS live", async () => {
    // The system says dark, so light can only come from the choice.
    const context = await browser.newContext({
      colorScheme: "dark",
      viewport: { width: 1280, height: 1000 },
    });
    const { page, errors } = await openSettings(context);
    const other = await context.newPage();
    await other.goto(node.url);
    await other.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
      timeout: 5000,
    });
    expect(await background(page)).toBe(DARK_BG);
    expect(await background(other)).toBe(DARK_BG);

    await page.getByTestId("setting-appearance.theme").selectOption("light");
    await waitForBackground(page, LIGHT_BG);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    // The other tab hears the change from the node, with no reload.
    await waitForBackground(other, LIGHT_BG);
    expect(await themeSetting()).toBe("light");

    await page.reload();
    await page.getByTestId("setting-appearance.theme").waitFor({ state: "visible" });
    expect(await background(page)).toBe(LIGHT_BG);
    expect(await page.getByTestId("setting-appearance.theme").inputValue()).toBe("light");

    // System: the OS's dark is back, and a change of the OS's scheme shows without a reload.
    await page.getByTestId("setting-appearance.theme").selectOption("system");
    await waitForBackground(page, DARK_BG);
    await page.emulateMedia({ colorScheme: "light" });
    await waitForBackground(page, LIGHT_BG);
    await page.emulateMedia({ colorScheme: "dark" });
    await waitForBackground(page, DARK_BG);
    expect(await themeSetting()).toBe("system");
    expect(errors).toEqual([]);
    await context.close();
  });
});
