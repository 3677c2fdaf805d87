import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";

let browser: Browser;
let node: RunningBinary;
let dir: string;

beforeAll(async () => {
  const copy = lonelyBinary();
  dir = copy.dir;
  node = await startBinary(
    copy.bin,
    ["--data-dir", "./data", "--port", "0", "--no-open", "--name", "browser-test"],
    dir,
  );
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  if (node && node.proc.exitCode === null) await node.signal();
});

describe("the workspace in a real browser", () => {
  test("loads, connects, opens and closes a pane with no console errors", async () => {
    const page = await (await browser.newContext()).newPage();
    const errors = watchErrors(page);
    await page.goto(node.url);

    const indicator = page.getByTestId("connection-indicator");
    await expect(indicator.getAttribute("data-state")).resolves.toBeDefined();
    await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
      timeout: 5000,
    });
    expect(await indicator.textContent()).toContain("browser-test");

    // First visit shows the About pane with this node's id.
    const identity = (await (await fetch(`${node.url}api/network/identity`)).json()) as { node_id: string };
    await expect(page.getByTestId("about-node-id").textContent()).resolves.toContain(identity.node_id);

    // Open Settings from the keyboard palette.
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("sett");
    await page.keyboard.press("Enter");
    await page.getByTestId("pane-settings").waitFor({ state: "visible" });
    await page.screenshot({ path: join(ARTIFACTS, "workspace-settings.png"), fullPage: true });

    // Close it again from its tab.
    await page.getByTestId("tab-settings").getByTestId("tab-close").click();
    await page.getByTestId("pane-settings").waitFor({ state: "detached" });
    expect(await page.getByTestId("tab-settings").count()).toBe(0);

    expect(errors).toEqual([]);
    await page.close();
  });

  test("a bad setting shows its error inline and nothing is saved", async () => {
    const page = await (await browser.newContext()).newPage();
    const errors = watchErrors(page);
    await page.goto(node.url);
    await page.getByTestId("open-pane-button").click();
    await page.getByTestId("palette-item-settings").click();
    // JSON depth is one of the limits kept in the folded Advanced section.
    await page.getByTestId("settings-group-advanced-toggle").click();
    const field = page.getByTestId("setting-network.maxJsonDepth");
    await field.fill("1");
    await field.press("Enter");
    await page.getByTestId("setting-error-network.maxJsonDepth").waitFor({ state: "visible" });
    const values = (await (await fetch(`${node.url}api/settings`)).json()) as Record<string, unknown>;
    expect(values["network.maxJsonDepth"]).toBe(32);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the layout survives a reload", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(node.url);
    await page.getByTestId("open-pane-button").click();
    await page.getByTestId("palette-item-settings").click();
    await page.getByTestId("pane-settings").waitFor({ state: "visible" });
    await page.reload();
    await page.getByTestId("pane-settings").waitFor({ state: "visible" });
    expect(await page.getByTestId("tab-about").count()).toBe(1);
    await page.close();
  });

  test("a reload on a deep link still opens the workspace", async () => {
    const page = await (await browser.newContext()).newPage();
    const errors = watchErrors(page);
    await page.goto(`${node.url}some/deep/link`);
    await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
      timeout: 5000,
    });
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the indicator shows offline when the node stops and reconnects when it is back", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(node.url);
    await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]');
    const port = node.port;
    expect((await node.signal()).code).toBe(0);
    await page.waitForSelector('[data-testid="connection-indicator"]:not([data-state="connected"])', {
      timeout: 5000,
    });
    node = await startBinary(
      join(dir, "weft"),
      ["--data-dir", "./data", "--port", String(port), "--no-open"],
      dir,
    );
    await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
      timeout: 10_000,
    });
    await page.screenshot({ path: join(ARTIFACTS, "workspace-reconnected.png") });
    await page.close();
  });
});
