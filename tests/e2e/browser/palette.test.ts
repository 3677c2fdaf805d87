import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { binaryPool, callNode, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
const pool = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;

const LIGHT_BG = "rgb(246, 246, 247)";
const DARK_BG = "rgb(17, 17, 19)";

async function waitForBackground(page: Page, expected: string): Promise<void> {
  await page.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor === bg, expected, {
    timeout: 5000,
  });
}

async function openNode(
  context: BrowserContext,
  node: RunningBinary,
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  return { page, errors };
}

/** Opens the palette from the keyboard and types a query, as a user would. */
async function search(page: Page, query: string): Promise<void> {
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill(query);
}

async function nodeId(node: RunningBinary): Promise<string> {
  return (await callNode<{ node_id: string }>(node, "GET", "/api/network/identity")).node_id;
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([pool.start("alice"), pool.start("bob")]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await pool.stopAll();
});

describe("the palette runs commands", () => {
  test("commands and panes share one list, labelled by kind, and the keyboard moves through both", async () => {
    const context = await browser.newContext({ colorScheme: "light" });
    const { page, errors } = await openNode(context, alice);
    await search(page, "t");
    const kinds = await page
      .locator('[role="option"][data-kind]')
      .evaluateAll((items) => items.map((li) => li.getAttribute("data-kind")));
    expect(kinds).toContain("pane");
    expect(kinds).toContain("action");
    expect(
      await page.getByTestId("palette-action-toggle-theme").getByTestId("palette-kind").textContent(),
    ).toBe("Action");
    expect(await page.getByTestId("palette-item-settings").getByTestId("palette-kind").textContent()).toBe(
      "Pane",
    );

    // Arrow keys walk the list; the current row is the one Enter would pick.
    await page.getByTestId("palette-input").fill("theme");
    const current = () => page.locator('[role="option"][aria-selected="true"]').getAttribute("data-testid");
    const first = await current();
    await page.keyboard.press("ArrowDown");
    const second = await current();
    expect(second).not.toBe(first);
    await page.keyboard.press("ArrowUp");
    expect(await current()).toBe(first);
    await page.screenshot({ path: join(ARTIFACTS, "palette-commands.png") });

    await page.keyboard.press("Escape");
    await page.getByTestId("palette-input").waitFor({ state: "detached" });
    expect(errors).toEqual([]);
    await context.close();
  });

  test("Toggle theme switches what is on screen, stores it, and toggles back", async () => {
    const context = await browser.newContext({ colorScheme: "light" });
    const { page, errors } = await openNode(context, alice);
    await waitForBackground(page, LIGHT_BG);

    await search(page, "toggle theme");
    await page.keyboard.press("Enter");
    await waitForBackground(page, DARK_BG);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    const values = await callNode<Record<string, unknown>>(alice, "GET", "/api/settings");
    expect(values["appearance.theme"]).toBe("dark");

    await search(page, "toggle theme");
    await page.keyboard.press("Enter");
    await waitForBackground(page, LIGHT_BG);

    await search(page, "theme: system");
    await page.getByTestId("palette-action-theme-system").click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === "system");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("Create an invite shows the invite in a toast and copies it; the invite pairs, then Message opens Chat", async () => {
    const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
    const { page, errors } = await openNode(context, alice);
    await search(page, "invite");
    expect(await page.locator('[role="option"][aria-selected="true"]').getAttribute("data-testid")).toBe(
      "palette-action-create-invite",
    );
    await page.keyboard.press("Enter");

    const toast = page.getByTestId("toast").filter({ hasText: "Invite copied" });
    await toast.waitFor({ state: "visible", timeout: 5000 });
    const invite = await page.evaluate(() => navigator.clipboard.readText());
    expect(invite.startsWith("weft1.")).toBe(true);
    // The toast shows which invite it is: its start and its end.
    const shown = (await toast.textContent()) ?? "";
    expect(shown).toContain(invite.slice(0, 16));
    expect(shown).toContain(invite.slice(-8));
    await toast.evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
    await page.screenshot({ path: join(ARTIFACTS, "palette-invite-toast.png") });

    // It is a real invite: bob redeems it and the two are paired.
    const paired = await callNode<{ ok: boolean }>(bob, "POST", "/api/network/pair", { invite });
    expect(paired.ok).toBe(true);

    const bobId = await nodeId(bob);
    await search(page, "message bob");
    const message = page.getByTestId(`palette-action-message-${bobId}`);
    await message.waitFor({ state: "visible", timeout: 5000 });
    expect(await message.textContent()).toContain("Message bob");
    await page.keyboard.press("Enter");
    await page.getByTestId("pane-chat").waitFor({ state: "visible" });
    await page.locator('section[aria-label="Conversation with bob"]').waitFor({ state: "visible" });
    expect(await page.getByTestId(`chat-conversation-${bobId}`).getAttribute("aria-current")).toBe("true");
    expect(errors).toEqual([]);
    await context.close();
  });
});
