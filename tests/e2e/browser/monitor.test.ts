import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { binaryPool, callNode as call, type RunningBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

/**
 * Two compiled nodes paired over REST; the Monitor pane on alice shows bob's link with an RTT and
 * both charts, and bob stopping turns the row offline and marks the charts. The binary pings every
 * 5 s, so waits here allow two ticks.
 */

/** Pairs `b` with `a` and opens the Monitor on `a` in a page `width` pixels wide; returns b's id. */
async function openMonitor(
  a: RunningBinary,
  b: RunningBinary,
  width: number,
): Promise<{ page: Page; id: string }> {
  const { invite } = await call<{ invite: string }>(a, "POST", "/api/network/invite", {});
  expect(await call(b, "POST", "/api/network/pair", { invite })).toMatchObject({ ok: true });
  const id = (await call<{ node_id: string }>(b, "GET", "/api/network/identity")).node_id;
  const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
  await page.goto(a.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("monitor");
  await page.keyboard.press("Enter");
  await page.getByTestId("pane-monitor").waitFor({ state: "visible" });
  return { page, id };
}

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

  test("at 800 px the table fits, the charts read out under the pointer and the keys, and an outage says whose", async () => {
    const [carol, dave] = await Promise.all([start("carol"), start("dave")]);
    const { page, id } = await openMonitor(carol, dave, 800);
    const errors = watchErrors(page);
    await page.getByTestId("monitor-window-1").click();
    const row = `[data-testid="monitor-row-${id}"]`;
    await page.waitForSelector(`${row}[data-status="connected"]`, { timeout: 10_000 });
    // Two ticks with an RTT: a line to hover over.
    await page.waitForFunction(
      () =>
        document
          .querySelector('[data-testid="monitor-chart-rtt"] path.line')
          ?.getAttribute("d")
          ?.includes("L") === true,
      undefined,
      { timeout: 15_000 },
    );

    const fits = await page.getByTestId("monitor-table-scroll").evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      table: el.querySelector("table")?.scrollWidth ?? Number.POSITIVE_INFINITY,
    }));
    expect(fits.client).toBeGreaterThan(0);
    expect(fits.scroll).toBeLessThanOrEqual(fits.client);
    expect(fits.table).toBeLessThanOrEqual(fits.client);
    expect(await page.getByTestId(`monitor-bytes-in-${id}`).textContent()).toMatch(
      /^\d+(\.\d)? (B|KiB|MiB)$/,
    );

    // The pointer near the right edge of the RTT chart: a guide and a readout with dave's value.
    const chart = page.locator('[data-testid="monitor-chart-rtt"] svg');
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width - 30, box.y + box.height / 2);
    const readout = page.getByTestId("monitor-chart-rtt-readout");
    await readout.waitFor({ state: "visible", timeout: 2000 });
    expect(await page.getByTestId("monitor-chart-rtt-cursor").count()).toBe(1);
    expect(await readout.textContent()).toMatch(/\d\d:\d\d:\d\d\s*dave\s*\d+\.\d ms/);
    await page.mouse.move(2, 2);
    await readout.waitFor({ state: "detached", timeout: 2000 });

    // The same from the keyboard: focus the chart, step back one sample.
    await chart.focus();
    await page.keyboard.press("ArrowLeft");
    await readout.waitFor({ state: "visible", timeout: 2000 });
    expect(await readout.textContent()).toMatch(/dave\s*\d+\.\d ms/);
    expect(await chart.getAttribute("aria-valuetext")).toMatch(/^\d\d:\d\d:\d\d: dave \d+\.\d ms$/);
    await page.keyboard.press("Escape");
    await readout.waitFor({ state: "detached", timeout: 2000 });

    await dave.signal();
    await page.waitForSelector(`${row}[data-status="offline"]`, { timeout: 5000 });
    const band = page.locator(`[data-testid="monitor-chart-rtt-band"][data-peer="${id}"]`);
    await band.waitFor({ state: "attached", timeout: 12_000 });
    expect(await band.getAttribute("aria-label")).toMatch(/^dave offline since \d\d:\d\d:\d\d$/);
    // Once the band is wide enough, it says so in visible text too.
    await page.waitForSelector('[data-testid="monitor-chart-rtt-band"] .band-when', { timeout: 15_000 });
    expect(await band.locator(".band-label").textContent()).toBe("dave offline");
    expect(await band.locator(".band-when").textContent()).toMatch(/^since \d\d:\d\d:\d\d$/);
    // The totals stay on the row of a link that is down.
    expect(await page.getByTestId(`monitor-bytes-in-${id}`).textContent()).toMatch(
      /^\d+(\.\d)? (B|KiB|MiB)$/,
    );

    const after = await page
      .getByTestId("monitor-table-scroll")
      .evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(after).toBeLessThanOrEqual(0);
    await chart.blur();
    await page.screenshot({ path: join(ARTIFACTS, "monitor-outage.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
