import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { binaryPool, pairBinaries, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
const { start, stopAll } = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;
let aliceId: string;
let bobId: string;

/** A page on `node` with `pane` open, picked from the palette as a user would. */
async function openPane(node: RunningBinary, pane: string): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill(pane);
  await page.keyboard.press("Enter");
  await page.getByTestId(`pane-${pane}`).waitFor({ state: "visible" });
  return { page, errors };
}

/** The row of a message by its text and direction, optionally in a given state. */
function message(page: Page, text: string, direction: "in" | "out", status?: string) {
  const state = status ? `[data-status="${status}"]` : "";
  return page.locator(`[data-testid^="chat-message-"][data-direction="${direction}"]${state}`, {
    hasText: text,
  });
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([start("alice"), start("bob")]);
  browser = await launchChromium();
  ({ aId: aliceId, bId: bobId } = await pairBinaries(alice, bob));
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe("the Chat pane in a real browser", () => {
  test("alice and bob chat, with delivery, read receipts and unread badges", async () => {
    const a = await openPane(alice, "chat");
    // Bob looks at Peers: the group strip offers Chat, and carries its unread count.
    const b = await openPane(bob, "peers");
    const bobToggle = b.page.getByTestId("group-toggle-chat");
    await bobToggle.waitFor({ state: "visible" });
    expect(await bobToggle.getAttribute("data-unread")).toBe("0");

    // Alice's list has bob, online.
    const bobRow = a.page.getByTestId(`chat-conversation-${bobId}`);
    await a.page.waitForSelector(`[data-testid="chat-conversation-${bobId}"][data-online="true"]`);
    await bobRow.click();
    const composer = a.page.getByTestId("chat-composer");
    await composer.fill("hello bob");
    await composer.press("Enter");
    expect(await composer.inputValue()).toBe("");

    // Stored on bob's node, which nobody there is looking at: delivered, and unread on bob's side.
    await message(a.page, "hello bob", "out", "delivered").waitFor({ timeout: 10_000 });
    await b.page.waitForSelector('[data-testid="group-toggle-chat"][data-unread="1"]', { timeout: 10_000 });
    expect(await b.page.getByTestId("group-unread-chat").textContent()).toBe("1");
    // Bob hears of it wherever he is, with who wrote and what.
    const notice = b.page.locator(`[data-testid="toast"][data-toast-key="chat:${aliceId}"]`);
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toContain("alice");
    expect(await notice.textContent()).toContain("hello bob");

    // Bob opens Chat: the conversation is listed with its badge until he opens it.
    await bobToggle.click();
    await b.page.getByTestId("pane-chat").waitFor({ state: "visible" });
    const badge = b.page.getByTestId(`chat-unread-${aliceId}`);
    await badge.waitFor({ state: "visible" });
    expect(await badge.textContent()).toBe("1");
    await b.page.getByTestId(`chat-conversation-${aliceId}`).click();
    await message(b.page, "hello bob", "in").waitFor();
    await badge.waitFor({ state: "detached" });
    // Read, so the notice is old news and goes.
    await notice.waitFor({ state: "detached" });

    // Alice sees it read, with the "Read" line under it.
    await message(a.page, "hello bob", "out", "read").waitFor({ timeout: 10_000 });
    await a.page.getByTestId("chat-read-mark").waitFor();

    // With the conversation open on both sides, messages show up live and are read at once.
    await composer.fill("are you there?\nsecond line");
    await composer.press("Enter");
    await message(b.page, "second line", "in").waitFor({ timeout: 10_000 });
    await message(a.page, "second line", "out", "read").waitFor({ timeout: 10_000 });
    expect(await b.page.getByTestId(`chat-unread-${aliceId}`).count()).toBe(0);

    // Bob replies; alice sees it.
    const bobComposer = b.page.getByTestId("chat-composer");
    await bobComposer.fill("hi alice, all good");
    await b.page.getByTestId("chat-send").click();
    await message(a.page, "hi alice, all good", "in").waitFor({ timeout: 10_000 });
    await message(b.page, "hi alice, all good", "out", "read").waitFor({ timeout: 10_000 });

    // Bob switches back to Peers: the conversation is no longer on screen, so news is unread again.
    await b.page.getByTestId("tab-peers").locator('[role="tab"]').click();
    await b.page.waitForSelector('[data-testid="group-toggle-chat"][data-unread="0"]');
    await composer.fill("one more");
    await composer.press("Enter");
    await message(a.page, "one more", "out", "delivered").waitFor({ timeout: 10_000 });
    await b.page.waitForSelector('[data-testid="group-toggle-chat"][data-unread="1"]', { timeout: 10_000 });

    await a.page.screenshot({ path: join(ARTIFACTS, "chat.png") });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await a.page.close();
    await b.page.close();
  });

  test("an empty or oversized message is refused with a visible error", async () => {
    const a = await openPane(alice, "chat");
    await a.page.getByTestId(`chat-conversation-${bobId}`).click();
    const composer = a.page.getByTestId("chat-composer");
    await composer.waitFor();
    const rows = a.page.locator('[data-testid^="chat-message-"][data-direction]');
    await rows.first().waitFor();
    const before = await rows.count();

    // Empty: the button is off, and Enter says why.
    expect(await a.page.getByTestId("chat-send").isDisabled()).toBe(true);
    await composer.fill("   ");
    await composer.press("Enter");
    const error = a.page.getByTestId("chat-error");
    await error.waitFor({ state: "visible" });
    expect(await error.textContent()).toContain("Type a message first");

    // Over 16 KiB of UTF-8: the counter and the reason show at once, and nothing can be sent.
    await composer.fill("é".repeat(9000));
    await error.waitFor({ state: "visible" });
    expect(await error.textContent()).toContain("Too long");
    expect(await a.page.getByTestId("chat-byte-counter").textContent()).toBe("18,000 / 16,384 bytes");
    expect(await a.page.getByTestId("chat-send").isDisabled()).toBe(true);
    await composer.press("Enter");
    await Bun.sleep(300);
    expect(await rows.count()).toBe(before);

    // Back under the limit, the error goes and the message is sent.
    await composer.fill("short again");
    expect(await error.count()).toBe(0);
    await composer.press("Enter");
    await message(a.page, "short again", "out").waitFor();

    expect(a.errors).toEqual([]);
    await a.page.close();
  });
});
