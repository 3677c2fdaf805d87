import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { binaryPool, pairBinaries, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, waitFor, watchErrors } from "../../helpers/browser.ts";
import { type ChatTab, chatTab } from "../../helpers/chat-tab.ts";

let browser: Browser;
const { start, stopAll } = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;
let aliceId: string;
let bobId: string;
/** Bob writes to alice from a scripted tab of his node, as his own Chat pane would. */
let bobChat: ChatTab;

interface OpenPage {
  page: Page;
  errors: string[];
  /** Svelte's warnings, e.g. a derived read after its owner was destroyed. */
  warnings: string[];
}

/** A fresh page on `node`, connected, with no layout saved before. */
async function newPage(node: RunningBinary, init?: () => void): Promise<OpenPage> {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  if (init) await page.addInitScript(init);
  const errors = watchErrors(page);
  const warnings: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "warning" && m.text().includes("svelte")) warnings.push(m.text());
  });
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  return { page, errors, warnings };
}

/** Opens a pane from the palette, as a user would; it opens in the group in use. */
async function openPane(page: Page, pane: string): Promise<void> {
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill(pane);
  await page.keyboard.press("Enter");
  await page.getByTestId(`pane-${pane}`).waitFor({ state: "visible" });
}

async function showTab(page: Page, pane: string): Promise<void> {
  await page.getByTestId(`tab-${pane}`).locator('[role="tab"]').click();
  await page.getByTestId(`pane-${pane}`).waitFor({ state: "visible" });
}

async function waitForTitle(page: Page, title: string): Promise<void> {
  await page.waitForFunction((t) => document.title === t, title, { timeout: 10_000 });
}

/** The strip's Chat pill shows `n` unread (its badge only when there are any). */
async function waitForStripCount(page: Page, n: number): Promise<void> {
  await page.waitForSelector(`[data-testid="group-toggle-chat"][data-unread="${n}"]`, { timeout: 10_000 });
  const badge = page.getByTestId("group-unread-chat");
  if (n === 0) expect(await badge.count()).toBe(0);
  else expect(await badge.textContent()).toBe(String(n));
}

function notice(page: Page) {
  return page.locator(`[data-testid="toast"][data-toast-key="chat:${bobId}"]`);
}

function message(page: Page, text: string, direction: "in" | "out") {
  return page.locator(`[data-testid^="chat-message-"][data-direction="${direction}"]`, { hasText: text });
}

/** Alice reads everything from bob, so each test starts with nothing unread. */
async function readAll(): Promise<void> {
  const tab = await chatTab(alice.port);
  const { messages } = await tab.open(bobId);
  const last = messages.findLast((m) => m.direction === "in");
  if (last) tab.read(bobId, last.id);
  // Closed before the socket goes, so no later message counts as seen by this tab.
  tab.close(bobId);
  await waitFor(async () => {
    tab.tab.send({ channel: "chat", event: "list_unread", data: {} });
    await Bun.sleep(50);
    return tab.lastUnread() !== undefined && !tab.lastUnread()?.[bobId];
  }, "alice to have read everything");
  tab.tab.close();
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([start("alice"), start("bob")]);
  browser = await launchChromium();
  ({ aId: aliceId, bId: bobId } = await pairBinaries(alice, bob));
  bobChat = await chatTab(bob.port);
});

afterAll(async () => {
  bobChat?.tab.close();
  await browser?.close();
  await stopAll();
});

describe("chat news anywhere in the workspace", () => {
  test("a message while Chat is out of view raises a notice, badges and the title; Reply opens it ready to type", async () => {
    const a = await newPage(alice);
    await openPane(a.page, "chat");
    // The offer of desktop notifications can be put away for good, without asking the browser.
    const offer = a.page.getByTestId("chat-desktop-offer");
    await offer.waitFor();
    await offer.getByRole("button", { name: "Not now" }).click();
    await offer.waitFor({ state: "detached" });
    await a.page.reload();
    await a.page.getByTestId(`chat-conversation-${bobId}`).waitFor();
    expect(await offer.count()).toBe(0);

    // A conversation nobody wrote in yet says what to do.
    await a.page.getByTestId(`chat-conversation-${bobId}`).click();
    const empty = a.page.getByTestId("chat-no-messages");
    await empty.waitFor();
    expect(await empty.textContent()).toContain("Write below to say hello to bob");

    // Alice goes to Peers; Chat stays open behind it.
    await openPane(a.page, "peers");
    await waitForStripCount(a.page, 0);
    expect(await a.page.title()).toBe("weft");
    expect(await a.page.getByTestId("tab-unread-chat").count()).toBe(0);

    bobChat.send(aliceId, "lunch at noon? menu at https://x.org/menu.");
    const toast = notice(a.page);
    await toast.waitFor({ timeout: 10_000 });
    expect(await toast.textContent()).toContain("bob");
    expect(await toast.textContent()).toContain("lunch at noon? menu at https://x.org/menu.");
    await waitForStripCount(a.page, 1);
    await waitForTitle(a.page, "(1) weft");
    expect(await a.page.getByTestId("tab-unread-chat").textContent()).toBe("1");

    // A second message updates the same notice rather than stacking another.
    bobChat.send(aliceId, "or one?");
    await toast.filter({ hasText: "or one? (+1 more)" }).waitFor({ timeout: 10_000 });
    expect(await a.page.locator('[data-testid="toast"]').count()).toBe(1);
    await waitForTitle(a.page, "(2) weft");
    expect(await a.page.getByTestId("tab-unread-chat").textContent()).toBe("2");
    await a.page.screenshot({ path: join(ARTIFACTS, "news-notice.png") });

    // Reply: Chat comes to the front on bob's conversation, with the composer focused.
    await toast.getByTestId("toast-action").click();
    await a.page.getByTestId("pane-chat").waitFor({ state: "visible" });
    await message(a.page, "or one?", "in").waitFor({ timeout: 10_000 });
    await a.page.waitForFunction(
      () => document.activeElement?.getAttribute("data-testid") === "chat-composer",
    );
    await a.page.keyboard.type("noon works");
    await a.page.keyboard.press("Enter");
    await message(a.page, "noon works", "out").waitFor({ timeout: 10_000 });
    await a.page.screenshot({ path: join(ARTIFACTS, "news-reply.png") });

    // Seen now: the badges and the title's count go.
    await waitForTitle(a.page, "weft");
    await a.page.getByTestId("tab-unread-chat").waitFor({ state: "detached" });
    expect(await toast.count()).toBe(0);

    // The link in bob's message is a link to exactly that page, opened apart from weft.
    const link = message(a.page, "lunch at noon?", "in").locator("a");
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute("href")).toBe("https://x.org/menu");
    expect(await link.textContent()).toBe("https://x.org/menu");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await message(a.page, "lunch at noon?", "in").textContent()).toContain("https://x.org/menu.");

    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([]);
    await a.page.close();
  });

  test("the strip badge and the title keep counting across pane switches, and a pill goes to its pane", async () => {
    await readAll();
    const a = await newPage(alice);
    await openPane(a.page, "peers");
    await waitForStripCount(a.page, 0);

    // Settings has no strip: the one that showed first is gone, then a new one comes.
    await openPane(a.page, "settings");
    expect(await a.page.getByTestId("group-strip").count()).toBe(0);
    await showTab(a.page, "peers");
    bobChat.send(aliceId, "first while switching");
    await waitForStripCount(a.page, 1);
    await waitForTitle(a.page, "(1) weft");

    await showTab(a.page, "settings");
    bobChat.send(aliceId, "second while on settings");
    await waitForTitle(a.page, "(2) weft");
    await showTab(a.page, "peers");
    await waitForStripCount(a.page, 2);
    bobChat.send(aliceId, "third");
    await waitForStripCount(a.page, 3);
    await waitForTitle(a.page, "(3) weft");

    // A pill opens its pane; on an open pane it takes you there and closes nothing.
    await a.page.getByTestId("group-toggle-chat").click();
    await a.page.getByTestId("pane-chat").waitFor({ state: "visible" });
    const peersPill = a.page.getByTestId("group-toggle-peers");
    expect(await peersPill.getAttribute("aria-pressed")).toBe("true");
    await peersPill.click();
    await a.page.getByTestId("pane-peers").waitFor({ state: "visible" });
    expect(await a.page.getByTestId("tab-chat").count()).toBe(1);
    expect(await a.page.getByTestId("pane-chat").isVisible()).toBe(false);
    await a.page.getByTestId("group-toggle-chat").click();
    await a.page.getByTestId("pane-chat").waitFor({ state: "visible" });
    expect(await a.page.getByTestId("tab-peers").count()).toBe(1);
    // Chat is open but no conversation is picked, so the count stays and goes on counting.
    bobChat.send(aliceId, "fourth");
    await waitForTitle(a.page, "(4) weft");
    expect(await a.page.getByTestId("tab-unread-chat").textContent()).toBe("4");

    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([]);
    await a.page.close();
  });

  test("desktop notifications are asked for on a click only, and shown only while the page is hidden", async () => {
    await readAll();
    // Headless Chromium has no notification centre: a stand-in records what the page asks of it,
    // and the page's visibility is switched by hand.
    const a = await newPage(alice, () => {
      const w = window as unknown as Record<string, unknown>;
      w.__notes = [];
      w.__asked = 0;
      w.__hidden = false;
      class RecordedNotification {
        static permission: NotificationPermission = "default";
        static async requestPermission(): Promise<NotificationPermission> {
          (w.__asked as number)++;
          RecordedNotification.permission = "granted";
          return "granted";
        }
        onclick: (() => void) | null = null;
        readonly title: string;
        readonly body: string;
        constructor(title: string, options?: NotificationOptions) {
          this.title = title;
          this.body = options?.body ?? "";
          (w.__notes as unknown[]).push(this);
        }
        close() {}
      }
      Object.defineProperty(window, "Notification", { value: RecordedNotification, configurable: true });
      Object.defineProperty(document, "visibilityState", {
        get: () => (w.__hidden ? "hidden" : "visible"),
        configurable: true,
      });
      document.hasFocus = () => !w.__hidden;
    });
    const asked = () => a.page.evaluate(() => (window as unknown as { __asked: number }).__asked);
    const notes = () =>
      a.page.evaluate(() =>
        (window as unknown as { __notes: { title: string; body: string }[] }).__notes.map((n) => ({
          title: n.title,
          body: n.body,
        })),
      );

    await openPane(a.page, "chat");
    const offer = a.page.getByTestId("chat-desktop-offer");
    await offer.waitFor();
    expect(await asked()).toBe(0);
    await offer.getByRole("button", { name: "Turn on desktop notifications" }).click();
    await offer.waitFor({ state: "detached" });
    expect(await asked()).toBe(1);

    // In view: the notice in the page is enough.
    await openPane(a.page, "peers");
    bobChat.send(aliceId, "while you look");
    await notice(a.page).waitFor({ timeout: 10_000 });
    await waitForTitle(a.page, "(1) weft");
    expect(await notes()).toEqual([]);

    // Away: a desktop notification too, and clicking it opens the conversation.
    await a.page.evaluate(() => {
      (window as unknown as { __hidden: boolean }).__hidden = true;
    });
    bobChat.send(aliceId, "while you are away");
    await waitForTitle(a.page, "(2) weft");
    await waitFor(async () => (await notes()).length === 1, "a desktop notification");
    expect(await notes()).toEqual([{ title: "bob", body: "while you are away (+1 more)" }]);
    await a.page.evaluate(() => {
      const w = window as unknown as { __hidden: boolean; __notes: { onclick: (() => void) | null }[] };
      w.__hidden = false;
      w.__notes[0]?.onclick?.();
    });
    await a.page.getByTestId("pane-chat").waitFor({ state: "visible" });
    await message(a.page, "while you are away", "in").waitFor({ timeout: 10_000 });
    await waitForTitle(a.page, "weft");

    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([]);
    await a.page.close();
  });

  test("Chat with no one paired says what to do and takes you to Peers", async () => {
    const carol = await start("carol");
    const c = await newPage(carol);
    await openPane(c.page, "chat");
    const empty = c.page.getByTestId("chat-empty");
    await empty.waitFor();
    expect(await empty.textContent()).toContain("No conversations yet — pair with someone in Peers");
    await c.page.getByTestId("chat-open-peers").click();
    await c.page.getByTestId("pane-peers").waitFor({ state: "visible" });
    expect(c.errors).toEqual([]);
    await c.page.close();
  });
});
