import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { binaryPool, callNode, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, waitFor, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
const pool = binaryPool();
/** Alice runs outside the pool: the test restarts her on the same data dir and port. */
const aliceCopy = lonelyBinary();
let alice: RunningBinary;
let bob: RunningBinary;

function startAlice(port = 0): Promise<RunningBinary> {
  const args = ["--data-dir", "./data", "--port", String(port), "--host", "127.0.0.1", "--no-open"];
  return startBinary(aliceCopy.bin, [...args, "--name", "alice"], aliceCopy.dir);
}

async function connected(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 10_000,
  });
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([startAlice(), pool.start("bob")]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (alice?.proc.exitCode === null) await alice.signal();
  await pool.stopAll();
});

describe("the inbox in a real browser", () => {
  test("the inviter is told who paired, the invite card turns used, and the notice outlasts a reload and a restart", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors = watchErrors(page);
    await page.goto(alice.url);
    await connected(page);
    expect(await page.getByTestId("notice-count").count()).toBe(0);

    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("peers");
    await page.keyboard.press("Enter");
    await page.getByTestId("invite-mint").click();
    const invite = (await page.getByTestId("invite-text").inputValue()).trim();
    expect(await page.getByTestId("invite-expiry").textContent()).toMatch(/^expires in/);

    const paired = await callNode<{ ok: boolean }>(bob, "POST", "/api/network/pair", { invite });
    expect(paired.ok).toBe(true);

    const toast = page.getByTestId("toast").filter({ hasText: "bob paired with you" });
    await toast.waitFor({ state: "visible", timeout: 5000 });
    await page.getByTestId("invite-used").waitFor({ state: "visible", timeout: 5000 });
    expect(await page.getByTestId("invite-used").textContent()).toBe("Used by bob");
    expect(await page.getByTestId("invite-expiry").count()).toBe(0);
    expect(await page.getByTestId("notice-count").textContent()).toBe("1");

    await page.getByTestId("notice-bell").click();
    const panel = page.getByTestId("notice-panel");
    await panel.waitFor({ state: "visible" });
    expect(await panel.getByTestId("notice-text").allTextContents()).toEqual(["bob paired with you"]);
    expect(await panel.getByTestId("notice-action").textContent()).toBe("Open Peers");
    await page.screenshot({ path: join(ARTIFACTS, "inbox.png") });

    await page.reload();
    await connected(page);
    await page.getByTestId("notice-count").waitFor({ state: "visible", timeout: 5000 });
    expect(await page.getByTestId("notice-count").textContent()).toBe("1");
    // A notice toasts once, when it arrives: a reload shows it in the inbox, not again as a toast.
    expect(await page.getByTestId("toast").filter({ hasText: "bob paired with you" }).count()).toBe(0);

    const { port } = alice;
    expect((await alice.signal()).code).toBe(0);
    alice = await startAlice(port);
    // The same tab reconnects on its own and asks the restarted node for its inbox again.
    await connected(page);
    await page.getByTestId("notice-count").waitFor({ state: "visible", timeout: 5000 });
    expect(await page.getByTestId("notice-count").textContent()).toBe("1");
    await page.getByTestId("notice-bell").click();
    expect(await panel.getByTestId("notice-text").allTextContents()).toEqual(["bob paired with you"]);

    await page.getByTestId("notice-read-all").click();
    await page.getByTestId("notice-count").waitFor({ state: "detached", timeout: 5000 });
    await page.getByTestId("notice-dismiss").click();
    await panel.getByTestId("notice-empty").waitFor({ state: "visible", timeout: 5000 });
    // The panel empties as soon as the click lands; the node's answer to the dismissal may still
    // be on its way, so the stored inbox is asked until it agrees (or the wait fails).
    const stored = () => callNode<{ notices: unknown[]; unread: number }>(alice, "GET", "/api/notices");
    await waitFor(async () => (await stored()).notices.length === 0, "the dismissal to be stored", 5000);
    expect(await stored()).toEqual({ notices: [], unread: 0 });
    expect(errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });
});
