import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { callNode as call, lonelyBinary, type RunningBinary, startBinary } from "../../helpers/binary.ts";
import { ARTIFACTS, launchChromium, watchErrors } from "../../helpers/browser.ts";
import { tempDir } from "../../helpers/temp-dir.ts";

/**
 * Third-party panes end to end: the example built as its own bundle, dropped into the plugins
 * folder of a compiled node's data dir, opened in Chromium, and shared between two nodes.
 */

const repo = join(import.meta.dir, "..", "..", "..");
const EXAMPLE = "shared-counter";
/** What the pane frame logs for a pane that failed; the only console error these tests expect. */
const EXPECTED_REPORTS = ['pane "broken" failed', 'pane "late-fail" failed', 'pane "no-mount" failed'];

let browser: Browser;
let bin: string;
const nodes: RunningBinary[] = [];

function pane(id: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id,
    name: id,
    version: "1.0.0",
    engine: ">=0.1.0 <1",
    entry: "index.js",
    ...extra,
  });
}

/** A fresh folder whose data dir has the example installed, plus the given extra plugins. */
function nodeFolder(extra: Record<string, { json: string; js: string }> = {}): string {
  const dir = tempDir("weft-plugins-");
  const plugins = join(dir, "data", "plugins");
  mkdirSync(plugins, { recursive: true });
  cpSync(join(repo, "dist", "examples", EXAMPLE), join(plugins, EXAMPLE), { recursive: true });
  for (const [id, files] of Object.entries(extra)) {
    mkdirSync(join(plugins, id));
    writeFileSync(join(plugins, id, "pane.json"), files.json);
    writeFileSync(join(plugins, id, "index.js"), files.js);
  }
  return dir;
}

async function start(name: string, folder: string): Promise<RunningBinary> {
  const node = await startBinary(
    bin,
    ["--data-dir", "./data", "--port", "0", "--host", "127.0.0.1", "--no-open", "--name", name],
    folder,
  );
  nodes.push(node);
  return node;
}

async function openPage(node: RunningBinary): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const errors = watchErrors(page);
  await page.goto(node.url);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', {
    timeout: 5000,
  });
  return { page, errors };
}

/** Opens a pane from the keyboard palette, as a user would. */
async function openFromPalette(page: Page, query: string, paneId: string): Promise<void> {
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill(query);
  await page.getByTestId(`palette-item-${paneId}`).waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
  await page.getByTestId(`pane-${paneId}`).waitFor({ state: "visible" });
}

beforeAll(async () => {
  const built = Bun.spawnSync([process.execPath, join(repo, "scripts/build-example.ts"), EXAMPLE], {
    cwd: repo,
    stderr: "pipe",
  });
  if (built.exitCode !== 0) throw new Error(`example build failed: ${built.stderr.toString()}`);
  bin = lonelyBinary().bin;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(nodes.filter((n) => n.proc.exitCode === null).map((n) => n.signal()));
});

describe("third-party panes on one node", () => {
  let node: RunningBinary;

  beforeAll(async () => {
    node = await start(
      "plugin-host",
      nodeFolder({
        broken: {
          json: pane("broken", { name: "Broken pane" }),
          js: 'export default { mount() { throw new Error("broken on purpose: mount failed"); } };',
        },
        "late-fail": {
          json: pane("late-fail"),
          js: `export default {
            mount(target) {
              const button = document.createElement("button");
              button.dataset.testid = "late-fail-button";
              button.textContent = "Fail later";
              button.onclick = () => { throw new Error("late failure from a click"); };
              target.append(button);
              return () => button.remove();
            },
          };`,
        },
        "no-mount": { json: pane("no-mount"), js: "export default { render() {} };" },
        "too-new": {
          json: pane("too-new", { name: "Too new", engine: ">=99.0.0" }),
          js: "export default {};",
        },
      }),
    );
  });

  test("the example appears in the palette, opens, renders and counts", async () => {
    const { page, errors } = await openPage(node);
    await openFromPalette(page, "counter", EXAMPLE);
    const value = page.getByTestId("counter-value");
    await page.waitForSelector('[data-testid="shared-counter"][data-status="live"]', { timeout: 5000 });
    expect(await value.textContent()).toBe("0");
    await page.getByTestId("counter-inc").click();
    await page.getByTestId("counter-inc").click();
    await page.getByTestId("counter-dec").click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="counter-value"]')?.textContent === "1",
    );
    expect(await page.getByTestId("tab-shared-counter").textContent()).toContain("Shared counter");
    // A saved layout keeps the plugin's tab, and the count lives in the node's room.
    await page.reload();
    await page.waitForSelector('[data-testid="shared-counter"][data-status="live"]', { timeout: 5000 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="counter-value"]')?.textContent === "1",
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a plugin that throws in mount shows its error in its own frame and the rest keeps working", async () => {
    const { page, errors } = await openPage(node);
    await openFromPalette(page, "counter", EXAMPLE);
    await openFromPalette(page, "broken", "broken");
    await page.getByTestId("split-right").click();

    const failed = page.getByTestId("pane-broken").getByTestId("pane-error");
    await failed.waitFor({ state: "visible" });
    expect(await failed.textContent()).toContain("broken on purpose: mount failed");
    // Retry runs mount again, which fails again, still only in that frame.
    await page.getByTestId("pane-broken").getByTestId("pane-retry").click();
    await failed.waitFor({ state: "visible" });

    // The other pane still counts, and the shell still opens panes.
    await page.getByTestId("tab-shared-counter").click();
    const before = Number(await page.getByTestId("counter-value").textContent());
    await page.getByTestId("counter-inc").click();
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="counter-value"]')?.textContent === String(n),
      before + 1,
    );
    expect(await page.getByTestId("pane-shared-counter").getByTestId("pane-error").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "plugin-pane.png") });
    await openFromPalette(page, "about", "about");

    expect(errors.filter((e) => !EXPECTED_REPORTS.some((r) => e.startsWith(r)))).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    await page.close();
  });

  test("a bundle without mount, or an error a plugin throws later, also stays in its own frame", async () => {
    const { page, errors } = await openPage(node);
    await openFromPalette(page, "no-mount", "no-mount");
    const noMount = page.getByTestId("pane-no-mount").getByTestId("pane-error");
    await noMount.waitFor({ state: "visible" });
    expect(await noMount.textContent()).toContain("does not export a pane");

    await openFromPalette(page, "late-fail", "late-fail");
    await page.getByTestId("late-fail-button").click();
    const late = page.getByTestId("pane-late-fail").getByTestId("pane-error");
    await late.waitFor({ state: "visible" });
    expect(await late.textContent()).toContain("late failure from a click");
    // Retry mounts it afresh.
    await page.getByTestId("pane-late-fail").getByTestId("pane-retry").click();
    await page.getByTestId("late-fail-button").waitFor({ state: "visible" });

    await openFromPalette(page, "counter", EXAMPLE);
    await page.waitForSelector('[data-testid="shared-counter"][data-status="live"]', { timeout: 5000 });
    expect(errors.filter((e) => !EXPECTED_REPORTS.some((r) => e.startsWith(r)))).toEqual([]);
    await page.close();
  });

  test("a plugin with a bad manifest is listed disabled in the palette, with its reason", async () => {
    const { page, errors } = await openPage(node);
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette-input").fill("too new");
    const item = page.getByTestId("palette-unavailable-too-new");
    await item.waitFor({ state: "visible" });
    expect(await item.getAttribute("aria-disabled")).toBe("true");
    expect(await item.textContent()).toContain("needs weft >=99.0.0, but this is weft");
    await page.screenshot({ path: join(ARTIFACTS, "plugin-palette-unavailable.png") });
    await item.click({ force: true });
    await page.keyboard.press("Enter");
    expect(await page.getByTestId("pane-too-new").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("a third-party pane shared between two nodes", () => {
  async function connectedPeers(node: RunningBinary): Promise<number> {
    const { peers } = await call<{ peers: Array<{ status: string }> }>(node, "GET", "/api/network/peers");
    return peers.filter((p) => p.status === "connected").length;
  }

  async function waitUntil(check: () => Promise<boolean>, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("the two nodes did not connect");
      await Bun.sleep(50);
    }
  }

  test("a count on one node shows on the other once the room is shared and opened there", async () => {
    const [alice, bob] = await Promise.all([start("alice", nodeFolder()), start("bob", nodeFolder())]);
    const { invite } = await call<{ invite: string }>(alice, "POST", "/api/network/invite", {});
    const paired = await call<{ ok: boolean; error?: string }>(bob, "POST", "/api/network/pair", { invite });
    expect(paired).toMatchObject({ ok: true });
    await waitUntil(async () => (await connectedPeers(alice)) === 1 && (await connectedPeers(bob)) === 1);

    const a = await openPage(alice);
    const b = await openPage(bob);
    for (const { page } of [a, b]) {
      await openFromPalette(page, "counter", EXAMPLE);
      await page.waitForSelector('[data-testid="shared-counter"][data-status="live"]', { timeout: 5000 });
    }

    // Bob's own counter is his: alice's share never merges into it.
    await b.page.getByTestId("counter-inc").click();
    await b.page.getByTestId("counter-inc").click();
    await b.page.getByTestId("counter-inc").click();
    await b.page.getByTestId("counter-inc").click();
    await a.page.getByTestId("counter-share").click();
    await a.page.waitForSelector('[data-testid="counter-share"][aria-pressed="true"]', { timeout: 5000 });
    for (let i = 0; i < 3; i++) await a.page.getByTestId("counter-inc").click();
    // The share waits as a notice until bob opens it; Open mounts the pane on alice's room.
    const toast = b.page.getByTestId("toast").filter({ hasText: "alice shared Shared counter with you" });
    await toast.waitFor({ state: "visible", timeout: 10_000 });
    expect(await b.page.getByTestId("counter-value").textContent()).toBe("4");
    await toast.getByTestId("toast-action").click();
    await b.page.waitForFunction(
      () => document.querySelector('[data-testid="counter-value"]')?.textContent === "3",
      undefined,
      { timeout: 5000 },
    );
    // And back: bob's clicks reach alice through the same room.
    await b.page.getByTestId("counter-dec").click();
    await a.page.waitForFunction(
      () => document.querySelector('[data-testid="counter-value"]')?.textContent === "2",
      undefined,
      { timeout: 5000 },
    );
    expect(await b.page.getByTestId("counter-members").textContent()).toContain("alice");
    await b.page.screenshot({ path: join(ARTIFACTS, "plugin-pane-shared.png") });
    expect(await a.page.getByTestId("counter-value").textContent()).toBe("2");

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await a.page.close();
    await b.page.close();
  });
});
