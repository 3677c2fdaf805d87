import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { binaryPool, callNode as call, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

/**
 * Two compiled nodes paired over REST; the Monitor pane on alice shows bob's link with an RTT and
 * both charts, and bob stopping turns the row offline and marks the charts. The binary pings every
 * 5 s, so waits here allow two ticks.
 */

let browser: Browser;
const { start, stopAll } = binaryPool();
let alice: RunningBinary;
let bob: RunningBinary;

beforeAll(async () => {
  [alice, bob] = await Promise.all([start("alice"), start("bob")]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe("the Monitor pane in a real browser", () => {
  test("shows a paired peer's RTT and charts, and the row turns offline when the peer stops", async () => {
    const { invite } = await call<{ invite: string }>(alice, "POST", "/api/network/invite", {});
    expect(await call(bob, "POST", "/api/network/pair", { invite })).toMatchObject({ ok: true });
    const bobId = (await call<{ node_id: string }>(bob, "GET", "/api/network/identity")).node_id;

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors = watchErrors(page);
    await page.goto(alice.url);
    await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
      timeout: 5000,
    });
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("monitor");
    await page.keyboard.press("Enter");
    await page.getByTestId("pane-monitor").waitFor({ state: "visible" });

    const row = `[data-testid="monitor-row-${bobId}"]`;
    await page.waitForSelector(`${row}[data-status="connected"]`, { timeout: 10_000 });
    expect(await page.locator(row).textContent()).toContain("bob");
    const rtt = page.getByTestId(`monitor-rtt-${bobId}`);
    await page.waitForFunction(
      (id) =>
        /^\d+\.\d ms$/.test(document.querySelector(`[data-testid="monitor-rtt-${id}"]`)?.textContent ?? ""),
      bobId,
      { timeout: 12_000 },
    );
    expect(await rtt.textContent()).toMatch(/^\d+\.\d ms$/);
    expect(await page.getByTestId(`monitor-bytes-in-${bobId}`).textContent()).toMatch(
      /^\d+(\.\d)? (B|KiB|MiB)$/,
    );

    for (const chart of ["monitor-chart-rtt", "monitor-chart-throughput"]) {
      await page.waitForSelector(`[data-testid="${chart}"] svg path.line`, { timeout: 12_000 });
      expect(await page.getByTestId(chart).getAttribute("data-lines")).not.toBe("0");
    }

    await bob.signal();
    await page.waitForSelector(`${row}[data-status="offline"]`, { timeout: 5000 });
    expect(await page.getByTestId(`monitor-status-${bobId}`).textContent()).toBe("Offline");
    expect(await rtt.textContent()).toBe("—");
    // The next tick records the drop: a band on both charts.
    await page.waitForSelector('[data-testid="monitor-chart-rtt"][data-bands="1"]', { timeout: 12_000 });
    await page.waitForSelector('[data-testid="monitor-chart-throughput"][data-bands="1"]', { timeout: 2000 });

    // The last minute, where the few ticks of this test spread across the chart.
    await page.getByTestId("monitor-window-1").click();
    await page.screenshot({ path: join(ARTIFACTS, "monitor.png") });
    expect(errors).toEqual([]);
    await page.close();
  });
});
